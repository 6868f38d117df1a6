import { test, expect } from '@playwright/test';
import { PHONE, assigneesOf, open, hydrated, shot, staffContext, latestCode, watchConsole } from './helpers';

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
  await shot(maker.page, 'product-01-new-sub-product');
  await form.getByTestId('save-sub-product').click();
  const card = maker.page.locator('[data-testid=product-card][data-code=HNED-CG]');
  await expect(card).toBeVisible();
  await expect(card.getByTestId('product-version')).toHaveAttribute('data-status', 'draft');
  await expect(card.getByTestId('flow-diagram')).toContainText('背对背双人');
  await expect(card.getByTestId('pm-duty')).toContainText('三台六岗');
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
  const phoneCtx = await browser.newContext(PHONE);
  const phone = await phoneCtx.newPage();
  watchConsole(phone, errors);
  await open(phone, '/login');
  await phone.fill('#phone', '13100050297');
  await phone.getByTestId('send-code').click();
  await expect(phone.getByTestId('code-sent')).toBeVisible();
  const admin = await staffContext(browser, 'admin');
  const code = await latestCode(admin.page, '131****0297');
  await phone.fill('#code', code);
  await phone.getByTestId('login').click();
  await expect(phone).not.toHaveURL(/\/login/);
  await open(phone, '/');
  const product = phone.getByTestId('product-card').filter({ hasText: '惠农e贷·城关专享' });
  await expect(product).toBeVisible();
  await shot(phone, 'product-03-customer-list');
  await product.getByRole('link', { name: '立即申请' }).click();
  await hydrated(phone);
  await phone.fill('#amount', '50000');
  await phone.selectOption('#purpose', 'farming');
  await phone.getByTestId('consent').check();
  await phone.getByTestId('submit-application').click();
  await expect(phone).toHaveURL(/\/me\/applications\//);
  const applicationId = phone.url().split('/').pop();
  const file = `/staff/applications/${applicationId}`;

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
  await open(investigator.page, file);
  await investigator.page.fill('#visited_on', '2026-11-20');
  await investigator.page.fill('#income', '120000');
  await investigator.page.fill('#assets', '500000');
  await investigator.page.fill('#debts', '0');
  await investigator.page.fill('#findings', '经营大棚蔬菜，收入稳定，邻里评价良好。');
  await investigator.page.getByTestId('save-investigation').click();
  await expect(investigator.page.getByTestId('investigation')).toContainText('建议批准');

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
  await expect(second.page.getByTestId('open-loan')).toBeVisible();
  await shot(second.page, 'product-05-approved');

  expect(errors).toEqual([]);
});
