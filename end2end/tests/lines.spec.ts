import { test, expect } from '@playwright/test';
import { open, shot, staffContext, watchConsole } from './helpers';

// 额度管理: raising a credit line's limit needs a second person. approver1
// proposes an increase of 王建国's line with its reason (a reason is asked
// for in Chinese); the proposer cannot approve it; approver2 on a tablet
// approves it; a lower limit then takes effect at once, and the line is
// frozen and unfrozen. The line ends as it began (100,000, active).
test('a limit increase is proposed by one approver and approved by another', async ({ browser }) => {
  const errors: string[] = [];
  const maker = await staffContext(browser, 'approver1');
  watchConsole(maker.page, errors);
  await open(maker.page, '/staff/lines');
  const card = maker.page.getByTestId('line-card').filter({ hasText: '王**' });
  await expect(card).toBeVisible();
  await expect(card.getByTestId('ln-limit')).toContainText('100,000.00');
  await card.getByTestId('ln-adjust').click();
  await card.getByTestId('ln-new-limit').fill('150000');
  await card.getByTestId('ln-adjust-save').click();
  await expect(card.getByRole('alert')).toContainText('请填写提额理由');
  await card.getByTestId('ln-reason').fill('新建养殖大棚，年收入增加');
  await card.getByTestId('ln-adjust-save').click();
  await expect(maker.page.getByRole('status')).toContainText('待另一位审批人员复核');
  const pending = maker.page.getByTestId('line-card').filter({ hasText: '王**' }).getByTestId('ln-pending');
  await expect(pending).toContainText('150,000.00');
  await expect(pending).toContainText('须由另一位审批人员复核');
  await expect(pending.getByTestId('ln-approve')).toHaveCount(0);
  await expect(maker.page.getByTestId('line-card').filter({ hasText: '王**' }).getByTestId('ln-limit')).toContainText('100,000.00');
  await shot(maker.page, 'lines-01-proposed');

  // approver2 on a 1024×768 tablet approves it.
  const checker = await staffContext(browser, 'approver2');
  watchConsole(checker.page, errors);
  await checker.page.setViewportSize({ width: 1024, height: 768 });
  await open(checker.page, '/staff/lines');
  const theirs = () => checker.page.getByTestId('line-card').filter({ hasText: '王**' });
  await theirs().getByTestId('ln-review-comment').fill('经核实收入，同意');
  await shot(checker.page, 'lines-02-review-tablet');
  await theirs().getByTestId('ln-approve').click();
  await expect(checker.page.getByRole('status')).toContainText('提额申请已处理');
  await expect(theirs().getByTestId('ln-limit')).toContainText('150,000.00');
  await expect(theirs().getByTestId('ln-pending')).toHaveCount(0);

  // Lower: at once, no review.
  await theirs().getByTestId('ln-adjust').click();
  await theirs().getByTestId('ln-new-limit').fill('100000');
  await theirs().getByTestId('ln-adjust-save').click();
  await expect(checker.page.getByRole('status')).toContainText('额度已调整');
  await expect(theirs().getByTestId('ln-limit')).toContainText('100,000.00');
  // Freeze and unfreeze.
  await theirs().getByTestId('ln-freeze').click();
  await expect(theirs()).toHaveAttribute('data-status', 'frozen');
  await theirs().getByTestId('ln-unfreeze').click();
  await expect(theirs()).toHaveAttribute('data-status', 'active');

  expect(errors).toEqual([]);
});
