import { test, expect } from '@playwright/test';
import { PHONE, open, hydrated, sendCode, shot, staffContext, latestCode, watchConsole } from './helpers';

// Servicing on the phone and at the desk: 王建国 has an instalment five days
// overdue; he sees it, a declined payment posts nothing, he repays, draws on
// his credit line, and the officer sees the repayment in the loan's ledger.
test('customer repays an overdue instalment and draws down; officer sees the ledger', async ({ browser }) => {
  // Signing in may wait out the SMS resend interval (see sendCode).
  test.setTimeout(150_000);
  const errors: string[] = [];
  const phoneCtx = await browser.newContext(PHONE);
  const phone = await phoneCtx.newPage();
  watchConsole(phone, errors);

  await open(phone, '/login?next=/me');
  await phone.fill('#phone', '13800000002');
  await sendCode(phone);
  await expect(phone.getByTestId('code-sent')).toContainText('138****0002');
  const admin = await staffContext(browser, 'admin');
  const code = await latestCode(admin.page, '138****0002');
  await phone.fill('#code', code);
  await phone.getByTestId('login').click();
  await expect(phone).toHaveURL(/\/me$/);
  await hydrated(phone);

  // His credit line and his loans, one of them overdue.
  await expect(phone.getByTestId('line-card')).toContainText('可用额度');
  await expect(phone.getByTestId('line-available')).toContainText('100,000.00');
  const overdueCard = phone.getByTestId('loan-card').filter({ hasText: '逾期' });
  await expect(overdueCard).toHaveCount(1);
  await shot(phone, 'servicing-01-my-loans');

  await overdueCard.click();
  await hydrated(phone);
  // Due five days ago; as of last night's batch that is 4 days past due.
  await expect(phone.getByTestId('overdue-banner')).toContainText('您已逾期 4 天');
  const due = (await phone.getByTestId('due-now').innerText()).replace(/,/g, '');
  expect(Number(due)).toBeGreaterThan(1000);
  await shot(phone, 'servicing-02-overdue-loan');

  // A declined payment (the dev provider declines amounts ending in .44): nothing posted.
  await phone.fill('#repay-amount', '10.44');
  await phone.getByTestId('repay-card').getByRole('button').click();
  await expect(phone.getByRole('alert').filter({ hasText: '余额不足' })).toBeVisible();
  await expect(phone.getByTestId('due-now')).toHaveText(await phone.getByTestId('due-now').innerText());

  // At the branch counter the desk takes 100 yuan of it in cash: posted
  // once, however the button is clicked; the phone then shows the rest.
  const desk = await staffContext(browser, 'disburser1');
  watchConsole(desk.page, errors);
  await open(desk.page, `/staff/loans/${phone.url().split('/').pop()}`);
  const counter = desk.page.getByTestId('counter-repay');
  await counter.getByTestId('counter-repay-amount').fill('100');
  await counter.getByTestId('counter-repay-submit').dblclick();
  await expect(desk.page.getByTestId('counter-repaid')).toContainText('还款已入账');
  await shot(desk.page, 'servicing-02b-counter');
  await phone.reload();
  await hydrated(phone);
  const rest = (await phone.getByTestId('due-now').innerText()).replace(/,/g, '');
  expect(Math.round(Number(rest) * 100)).toBe(Math.round(Number(due) * 100) - 10000);

  // More than is due is refused; then the full amount, double-clicked, pays once.
  await phone.fill('#repay-amount', '99999');
  await phone.getByTestId('repay-card').getByRole('button').click();
  await expect(phone.getByRole('alert').filter({ hasText: '不能超过当前应还' })).toBeVisible();
  await phone.fill('#repay-amount', rest);
  await phone.getByTestId('repay-card').getByRole('button').dblclick();
  await expect(phone.getByText('还款成功，已入账')).toBeVisible();
  await expect(phone.getByTestId('repay-card')).toContainText('当前没有应还款项');
  await expect(phone.getByTestId('overdue-banner')).toHaveCount(0);
  await shot(phone, 'servicing-03-repaid');
  const loanUrl = phone.url();

  // Draw 5,000 yuan on the line over 12 months.
  await open(phone, '/me');
  await phone.getByTestId('line-card').locator('input').fill('5000');
  await phone.getByTestId('line-card').getByRole('button', { name: '确认借款' }).click();
  await expect(phone).toHaveURL(/\/me\/loans\//);
  await hydrated(phone);
  await expect(phone.locator('h1')).toBeVisible();
  await expect(phone.getByTestId('repay-card')).toContainText('当前没有应还款项');
  await shot(phone, 'servicing-04-drawdown');
  await open(phone, '/me');
  await expect(phone.getByTestId('line-available')).toContainText('95,000.00');

  // The officer sees the repayment in the ledger, and the loan is current again.
  const officer = await staffContext(browser, 'officer1');
  const loanId = loanUrl.split('/').pop();
  await open(officer.page, `/staff/loans/${loanId}`);
  await expect(officer.page.getByTestId('dpd')).toHaveText('0');
  await expect(officer.page.getByTestId('ledger')).toContainText('还款');
  await expect(officer.page.getByTestId('ledger')).toContainText('期初余额迁移');
  await shot(officer.page, 'servicing-05-officer-ledger');

  expect(errors, errors.join('\n')).toEqual([]);
  await phoneCtx.close();
  await officer.ctx.close();
  await admin.ctx.close();
});
