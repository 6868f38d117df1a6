import { test, expect } from '@playwright/test';
import {
  applyFor, assigneesOf, customerOnPhone, draftSubProduct, investigate, open, publishSubProduct, shot,
  staffContext, watchConsole,
} from './helpers';

// The product factory and the approval flow, end to end: a product manager
// drafts a sub-product with a two-approver back-to-back flow, a second
// manager publishes it, a customer applies for it on a phone, and the
// application travels the flow with people picked at random: a different
// person at every post.
test('a sub-product with two approvers, drafted, published, applied for and approved', async ({ browser }) => {
  const errors: string[] = [];

  // product1 drafts the sub-product in the supermarket.
  const maker = await staffContext(browser, 'product1');
  watchConsole(maker.page, errors);
  await open(maker.page, '/staff/products');
  await expect(maker.page.getByTestId('product-card').first()).toBeVisible();
  await expect(maker.page.getByTestId('flow-diagram').first()).toContainText('下户调查');
  const form = maker.page.getByTestId('new-sub-product');
  // A range that contradicts itself is refused in Chinese; nothing is lost.
  await maker.page.fill('#pm-code', 'HNED-CG');
  await maker.page.fill('#pm-name', '惠农e贷·城关专享');
  await maker.page.fill('#pm-summary', '城关支行辖内农户专享，双人背对背审批。');
  await maker.page.fill('#pm-min-amount', '200000');
  await maker.page.fill('#pm-max-amount', '20000');
  await maker.page.selectOption('#pm-flow', 'dual_approval');
  await form.getByTestId('save-sub-product').click();
  await expect(form.getByRole('alert')).toContainText('下限高于上限');
  await expect(maker.page.locator('#pm-code')).toHaveValue('HNED-CG');
  await maker.page.fill('#pm-min-amount', '20000');
  await maker.page.fill('#pm-max-amount', '200000');
  // The form starts from the parent's terms; this one is for two counties
  // only (seed 000's per-region sub-products). A mistyped code is refused.
  await expect(maker.page.locator('#pm-min-rate')).not.toHaveValue('');
  await maker.page.fill('#pm-regions', '220183, 22O122');
  await form.getByTestId('save-sub-product').click();
  await expect(form.getByRole('alert')).toContainText('地区代码须为 6 位数字：22O122');
  await maker.page.fill('#pm-regions', '220183, 220122');
  await shot(maker.page, 'product-01-new-sub-product');
  await form.getByTestId('save-sub-product').click();
  const card = maker.page.locator('[data-testid=product-card][data-code=HNED-CG]');
  await expect(card).toBeVisible();
  await expect(card.getByTestId('product-version')).toHaveAttribute('data-status', 'draft');
  await expect(card.getByTestId('flow-diagram')).toContainText('背对背双人');
  await expect(card.getByTestId('pm-duty')).toContainText('三台六岗');
  await expect(card.getByTestId('pm-target')).toContainText('220183、220122');
  // The author may not publish their own draft.
  await card.getByTestId('publish-version').click();
  await expect(maker.page.getByRole('alert').first()).toContainText('另一位产品经理');

  // product2 reviews and publishes it.
  const checker = await staffContext(browser, 'product2');
  watchConsole(checker.page, errors);
  await open(checker.page, '/staff/products');
  const theirs = checker.page.locator('[data-testid=product-card][data-code=HNED-CG]');
  await theirs.getByTestId('publish-version').click();
  await expect(theirs.getByTestId('product-version')).toHaveAttribute('data-status', 'published');
  await shot(checker.page, 'product-02-published');

  // A customer of the branch applies for it on the phone.
  const phone = await customerOnPhone(browser, '13100050297', errors);
  await open(phone, '/');
  await expect(phone.getByTestId('product-card').filter({ hasText: '惠农e贷·城关专享' })).toBeVisible();
  await shot(phone, 'product-03-customer-list');
  // A customer of the same branch living in another county does not see it.
  const elsewhere = await customerOnPhone(browser, '13000243381', errors);
  await open(elsewhere, '/');
  await expect(elsewhere.getByTestId('product-card').first()).toBeVisible();
  await expect(elsewhere.getByTestId('product-card').filter({ hasText: '惠农e贷·城关专享' })).toHaveCount(0);
  await elsewhere.context().close();
  const file = await applyFor(phone, '惠农e贷·城关专享', '50000');

  // The marketer (officer1) sees the flow: the investigator was drawn at
  // random, and under 三台六岗 it is never the marketer.
  const marketer = await staffContext(browser, 'officer1');
  await open(marketer.page, file);
  await expect(marketer.page.getByTestId('flow-panel')).toBeVisible();
  const [investigatorName] = await assigneesOf(marketer.page, 'investigation');
  expect(investigatorName).not.toBe('officer1');
  await expect(marketer.page.getByTestId('investigation-form')).toHaveCount(0);

  const investigator = await staffContext(browser, investigatorName);
  watchConsole(investigator.page, errors);
  await open(investigator.page, '/staff');
  await expect(investigator.page.getByTestId('task-row').filter({ hasText: '白海军' })).toBeVisible();
  await investigate(investigator.page, file);

  // Two approvers, drawn at random, decide back-to-back.
  await open(investigator.page, file);
  const approvers = await assigneesOf(investigator.page, 'approval');
  expect(approvers).toHaveLength(2);
  expect(new Set([...approvers, investigatorName, 'officer1']).size).toBe(4);
  await shot(investigator.page, 'product-04-flow');

  const first = await staffContext(browser, approvers[0]);
  watchConsole(first.page, errors);
  await open(first.page, file);
  await first.page.fill('#comment', '同意。');
  await first.page.getByTestId('approve').click();
  await expect(first.page.getByTestId('decide-blocked')).toContainText('等待其他人员');
  await expect(first.page.getByTestId('open-loan')).toHaveCount(0);

  const second = await staffContext(browser, approvers[1]);
  watchConsole(second.page, errors);
  await open(second.page, file);
  // The first opinion stays sealed until both are in.
  await expect(second.page.getByTestId('flow-panel')).toContainText('全部提交后可见');
  await second.page.fill('#comment', '同意，额度合理。');
  await second.page.getByTestId('approve').click();
  // Approved: the contract goes to the customer; the loan waits for its payout.
  await expect(second.page.getByTestId('disbursement')).toBeVisible();
  await expect(second.page.getByTestId('disb-contract')).toContainText('等待客户');
  await expect(second.page.getByTestId('open-loan')).toHaveCount(0);
  await shot(second.page, 'product-05-approved');

  expect(errors).toEqual([]);
});

// A step with no form of its own (审查) is worked from the file by the one
// it was given to: the reviewer agrees or refuses with a comment, and the
// flow moves on to the approver.
test('a review step is worked from the file by the reviewer', async ({ browser }) => {
  const errors: string[] = [];
  const maker = await staffContext(browser, 'product1');
  watchConsole(maker.page, errors);
  await draftSubProduct(maker.page, 'HNED-SC', '惠农e贷·审查专享', '先审查后审批的惠农e贷。', 'reviewed');
  const checker = await staffContext(browser, 'product2');
  await publishSubProduct(checker.page, 'HNED-SC');

  const phone = await customerOnPhone(browser, '13000050297', errors);
  const file = await applyFor(phone, '惠农e贷·审查专享', '60000');
  const head = await staffContext(browser, 'head1');
  await open(head.page, file);
  const [investigatorName] = await assigneesOf(head.page, 'investigation');
  const investigator = await staffContext(browser, investigatorName);
  watchConsole(investigator.page, errors);
  await investigate(investigator.page, file);

  await open(head.page, file);
  const [reviewerName] = await assigneesOf(head.page, 'review');
  expect(reviewerName).toBe('reviewer1');
  // Nobody but the reviewer has the review to do.
  await expect(head.page.getByTestId('task-action')).toHaveCount(0);
  const reviewer = await staffContext(browser, reviewerName);
  watchConsole(reviewer.page, errors);
  await open(reviewer.page, '/staff');
  await expect(reviewer.page.getByTestId('task-row').filter({ hasText: '程英' })).toBeVisible();
  await open(reviewer.page, file);
  const task = reviewer.page.getByTestId('task-action');
  await expect(task).toContainText('审查：待您办理');
  await expect(task.getByTestId('task-reject')).toBeVisible();
  await reviewer.page.fill('#comment', '资料齐全，调查报告与申请一致，同意提交审批。');
  await shot(reviewer.page, 'product-06-review-task');
  await task.getByTestId('task-pass').click();
  await expect(reviewer.page.getByRole('status').filter({ hasText: '已办理' })).toBeVisible();
  await expect(reviewer.page.getByTestId('task-action')).toHaveCount(0);
  const [approverName] = await assigneesOf(reviewer.page, 'approval');
  expect([reviewerName, investigatorName, 'officer1']).not.toContain(approverName);
  await expect(
    reviewer.page.locator('[data-testid=flow-task][data-node=review][data-status=done]'),
  ).toContainText('同意提交审批');

  expect(errors).toEqual([]);
});

// Two approvers disagree: the application goes to the loan committee of
// three, but the branch has only one approver who has not decided it. The
// empty seats wait on the branch head's list, who gives one to that
// approver with a reason; those who decided are offered but barred.
test('a branch head gives an empty committee seat to an eligible approver', async ({ browser }) => {
  const errors: string[] = [];
  const phone = await customerOnPhone(browser, '13000098568', errors);
  const file = await applyFor(phone, '惠农e贷·城关专享', '80000');
  const head = await staffContext(browser, 'head1');
  watchConsole(head.page, errors);
  await open(head.page, file);
  const [investigatorName] = await assigneesOf(head.page, 'investigation');
  const investigator = await staffContext(browser, investigatorName);
  await investigate(investigator.page, file);
  await open(investigator.page, file);
  const approvers = await assigneesOf(investigator.page, 'approval');
  for (const [i, name] of approvers.entries()) {
    const approver = await staffContext(browser, name);
    await open(approver.page, file);
    await approver.page.fill('#comment', i === 0 ? '同意。' : '经营收入存疑，不同意。');
    if (i > 0) {
      // A refusal names the category the customer is told.
      await approver.page.getByTestId('reject').click();
      await expect(
        approver.page.getByRole('alert').filter({ hasText: '请选择告知客户的拒绝原因类别' }),
      ).toBeVisible();
      await approver.page.getByTestId('decline-category').selectOption('repayment_capacity');
    }
    await approver.page.getByTestId(i === 0 ? 'approve' : 'reject').click();
    await expect(approver.page.getByTestId('decide-blocked')).toBeVisible();
    await approver.ctx.close();
  }

  await open(head.page, '/staff/escalations');
  const rows = head.page.getByTestId('escalation-row').filter({ hasText: '卢静' });
  await expect(rows).toHaveCount(3);
  await expect(rows.first()).toContainText('待分派');
  await rows.first().getByTestId('open-reassign').click();
  const form = head.page.getByTestId('reassign-form');
  const options = form.getByTestId('reassign-to').locator('option');
  await expect(options.filter({ hasText: '徐春梅' })).toBeEnabled();
  // Those who already decided are listed with the reason they may not sit.
  await expect(options.filter({ hasText: '赵立新' })).toBeDisabled();
  await expect(options.filter({ hasText: '钱海燕' })).toContainText('不同的人');
  // A reassignment needs a person and a reason, said in Chinese.
  await form.getByTestId('reassign-submit').click();
  await expect(form.getByRole('alert')).toContainText('请选择改派给谁');
  const value = await options.filter({ hasText: '徐春梅' }).getAttribute('value');
  await form.getByTestId('reassign-to').selectOption(value ?? '');
  await form.getByTestId('reassign-submit').click();
  await expect(form.getByRole('alert')).toContainText('请填写原因');
  await form.getByTestId('reassign-reason').fill('贷审会缺员，由外支行审批岗补足。');
  await shot(head.page, 'product-07-reassign');
  await form.getByTestId('reassign-submit').click();
  await expect(head.page.getByRole('status').filter({ hasText: '任务已改派' })).toBeVisible();
  await expect(rows).toHaveCount(2);

  const member = await staffContext(browser, 'approver3');
  await open(member.page, '/staff');
  await expect(member.page.getByTestId('task-row').filter({ hasText: '卢静' })).toBeVisible();

  expect(errors).toEqual([]);
});
