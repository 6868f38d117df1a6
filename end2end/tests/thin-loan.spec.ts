import { test, expect } from '@playwright/test';
import { PHONE, assigneesOf, drawSignature, open, hydrated, sendCode, shot, staffContext, latestCode, watchConsole } from './helpers';

// The thin loan, end to end: a customer applies on a phone, the officer
// investigates, a different person approves, the customer sees the schedule,
// the manager sees it on the dashboard and the audit chain holds.
test('customer applies, officer investigates, approver approves, customer sees schedule', async ({ browser }) => {
  // The whole journey, from applying to the money paid out, is long.
  test.setTimeout(180_000);
  const errors: string[] = [];
  const phoneCtx = await browser.newContext(PHONE);
  const phone = await phoneCtx.newPage();
  watchConsole(phone, errors);

  // Products, in Chinese, on a 390-pixel phone.
  await open(phone, '/');
  await expect(phone.getByTestId('product-card').first()).toBeVisible();
  await expect(phone.locator('h1')).toContainText('贷款');
  await shot(phone, 'customer-01-home');

  // Apply: not signed in yet, so the form asks to sign in first.
  await phone.getByTestId('product-card').first().getByRole('link', { name: '立即申请' }).click();
  await phone.getByRole('link', { name: '登录' }).click();
  await expect(phone).toHaveURL(/\/login\?next=/);
  await hydrated(phone);
  await phone.fill('#phone', '13800000001');
  // Other journeys sign her in too: this may wait out the resend interval.
  await sendCode(phone);
  await expect(phone.getByTestId('code-sent')).toContainText('138****0001');
  await shot(phone, 'customer-02-login');

  // The development SMS provider's outbox holds the code.
  const admin = await staffContext(browser, 'admin');
  const code = await latestCode(admin.page, '138****0001');

  // A wrong code first: a clear message, still on the login page.
  await phone.fill('#code', code === '000000' ? '111111' : '000000');
  await phone.getByTestId('login').click();
  await expect(phone.getByRole('alert')).toContainText('验证码错误');
  await phone.fill('#code', code);
  await phone.getByTestId('login').click();
  await expect(phone).toHaveURL(/\/apply\//);
  await hydrated(phone);

  // An amount above the product's maximum is refused in Chinese, nothing is lost.
  await phone.fill('#amount', '99999999');
  await phone.selectOption('#purpose', 'farming');
  await phone.getByTestId('consent').check();
  await phone.getByTestId('submit-application').click();
  await expect(phone.getByRole('alert')).toContainText('借款金额不能超过');
  await expect(phone.locator('#amount')).toHaveValue('99999999');

  // The draft survives a reload.
  await phone.fill('#amount', '50000');
  await phone.reload();
  await hydrated(phone);
  await expect(phone.locator('#amount')).toHaveValue('50000');
  await expect(phone.getByTestId('calc-monthly')).toBeVisible();
  await phone.getByTestId('consent').check();
  await shot(phone, 'customer-03-apply');
  await phone.getByTestId('submit-application').dblclick();
  await expect(phone).toHaveURL(/\/me\/applications\//);
  await expect(phone.getByTestId('progress')).toContainText('待调查');
  await shot(phone, 'customer-04-progress');

  // The officer finds it in the task list and studies the customer.
  const officer = await staffContext(browser, 'officer1');
  await open(officer.page, '/staff');
  // (Her earlier applications in other journeys may have tasks of their own.)
  const row = officer.page.getByTestId('task-row').filter({ hasText: '李秀英' }).filter({ hasText: '下户调查' })
    .filter({ hasText: '50,000.00' }).first();
  await expect(row).toBeVisible();
  await expect(row).toContainText('50,000.00');
  await shot(officer.page, 'staff-01-tasks');
  await row.getByRole('link').click();
  await hydrated(officer.page);
  await officer.page.getByTestId('open-portrait').click();
  await expect(officer.page.getByTestId('id-masked')).toHaveText(/^\d{4}\*{10}[\dX]{4}$/);
  await shot(officer.page, 'staff-02-portrait');
  await officer.page.goBack();
  await hydrated(officer.page);

  // The investigation.
  await officer.page.fill('#visited_on', '2026-11-20');
  await officer.page.fill('#income', '120000');
  await officer.page.fill('#assets', '350000');
  await officer.page.fill('#debts', '0');
  await officer.page.fill('#findings', '种植玉米40亩，家庭收入稳定，无不良信用记录。');
  await shot(officer.page, 'staff-03-investigation');
  await officer.page.getByTestId('save-investigation').click();
  await expect(officer.page.getByTestId('investigation')).toContainText('建议批准');
  // The officer cannot approve their own work.
  await expect(officer.page.getByTestId('decide-blocked')).toBeVisible();
  const applicationUrl = officer.page.url();

  // The flow drew the approver at random among the branch's approvers.
  const [approverName] = await assigneesOf(officer.page, 'approval');
  expect(['approver1', 'approver2']).toContain(approverName);
  const approver = await staffContext(browser, approverName);
  await open(approver.page, '/staff');
  await approver.page.getByTestId('task-row').filter({ hasText: '李秀英' }).first().getByRole('link').click();
  await hydrated(approver.page);
  await approver.page.fill('#comment', '同意，按调查建议发放。');
  await approver.page.getByTestId('approve').click();
  await expect(approver.page.getByTestId('approval')).toContainText('批准');
  // Approved, not yet lent: the contract goes to the customer first.
  await expect(approver.page.getByTestId('disb-contract')).toContainText('等待客户');
  await expect(approver.page.getByTestId('open-loan')).toHaveCount(0);
  await shot(approver.page, 'staff-04-approved');

  // The officer's stale page cannot act again: the application has moved on.
  await open(officer.page, applicationUrl);
  await expect(officer.page.getByTestId('approval')).toBeVisible();

  // The customer reads the contract on the phone and signs it with an SMS
  // code and a drawn signature.
  await open(phone, phone.url());
  await phone.getByTestId('application-contract').click();
  await hydrated(phone);
  await expect(phone.getByTestId('contract-terms')).toContainText('50,000.00');
  await expect(phone.getByTestId('contract-text')).toContainText('李秀英');
  await phone.getByTestId('send-sign-code').click();
  await expect(phone.getByTestId('code-sent')).toBeVisible();
  const signCode = await latestCode(admin.page, '138****0001');
  await phone.fill('#ct-code', signCode);
  await drawSignature(phone, phone.getByTestId('signature-pad'));
  await shot(phone, 'customer-05-sign');
  await phone.getByTestId('sign-contract').dblclick();
  await expect(phone.getByTestId('signed-panel')).toBeVisible();
  await expect(phone.getByTestId('seal-fingerprint')).not.toBeEmpty();
  await shot(phone, 'customer-06-signed');

  // The disbursement desk registers her card at the counter and pays out once.
  const desk = await staffContext(browser, 'disburser1');
  await open(desk.page, applicationUrl);
  await expect(desk.page.getByTestId('disb-contract')).toContainText('已签署');
  await desk.page.getByTestId('disb-bind').locator('summary').click();
  // A card that is not hers is refused in words.
  await desk.page.fill('#disb-account', '6217 0000 2234 0000');
  await desk.page.fill('#disb-bank', '县农村商业银行');
  await desk.page.getByTestId('disb-bind-submit').click();
  await expect(desk.page.getByTestId('disbursement').getByRole('alert')).toContainText('不符');
  await desk.page.fill('#disb-account', '6217 0000 1234 5678 907');
  await desk.page.fill('#disb-bank', '县农村商业银行');
  await desk.page.getByTestId('disb-bind-submit').click();
  await expect(desk.page.getByTestId('disb-accounts')).toContainText('已验证');
  await shot(desk.page, 'staff-05-disbursement');
  await desk.page.getByTestId('disburse').dblclick();
  await expect(desk.page.getByTestId('open-loan')).toBeVisible();
  await expect(desk.page.getByTestId('disb-payouts')).toContainText('成功');
  await expect(desk.page.getByTestId('disb-payouts').locator('tbody tr')).toHaveCount(1);
  await shot(desk.page, 'staff-06-paid-out');

  // The customer sees the loan and its equal-instalment schedule.
  await open(phone, '/me');
  await phone.getByTestId('loan-card').first().click();
  await expect(phone.getByTestId('next-due')).toBeVisible();
  await expect(phone.locator('.m-schedule li')).not.toHaveCount(0);
  await shot(phone, 'customer-07-schedule');

  // Every step left her a notice (消息), newest first; opening one shows
  // the decision in words: what was granted.
  await open(phone, '/me/notices');
  const notices = phone.getByTestId('notice');
  await expect(notices.filter({ hasText: '贷款已发放' }).first()).toContainText('50,000.00');
  await expect(notices.filter({ hasText: '申请已获批准' }).first()).toContainText('年利率');
  await shot(phone, 'customer-08-notices');
  await notices.filter({ hasText: '申请已获批准' }).first().locator('a').click();
  await expect(phone.getByTestId('decision')).toHaveAttribute('data-decision', 'approved');
  await expect(phone.getByTestId('decision')).toContainText('50,000.00');
  await shot(phone, 'customer-09-decision');

  // The manager's dashboard draws both charts from our own origin.
  const manager = await staffContext(browser, 'head1');
  await open(manager.page, '/staff/dashboard');
  await expect(manager.page.getByTestId('kpis')).toBeVisible();
  await expect(manager.page.locator('[data-testid=chart-daily] canvas')).toBeVisible();
  await expect(manager.page.locator('[data-testid=chart-status] canvas')).toBeVisible();
  await shot(manager.page, 'staff-07-dashboard');

  // Every change is in the audit log, and the hash chain holds.
  await open(admin.page, '/staff/audit');
  await expect(admin.page.getByTestId('chain-ok')).toBeVisible();
  await expect(admin.page.getByTestId('audit-table')).toContainText('application.approved');
  await shot(admin.page, 'staff-08-audit');

  expect(errors, errors.join('\n')).toEqual([]);
});

test('staff sign-in refuses a wrong password in Chinese and English', async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  await open(page, '/staff/login');
  await page.fill('#username', 'officer2');
  await page.fill('#password', 'wrong-password');
  await page.click('[data-testid=staff-login]');
  await expect(page.getByRole('alert')).toContainText('用户名或密码错误');
  await shot(page, 'staff-00-login-error');
  await page.getByRole('link', { name: 'English' }).click();
  await hydrated(page);
  await expect(page.locator('h1')).toHaveText('Staff sign-in');
  await page.fill('#username', 'officer2');
  await page.fill('#password', 'wrong-password');
  await page.click('[data-testid=staff-login]');
  await expect(page.getByRole('alert')).toContainText('Wrong username or password');
});

test('a mistyped phone number gets a clear message', async ({ browser }) => {
  const ctx = await browser.newContext(PHONE);
  const page = await ctx.newPage();
  await open(page, '/login');
  await page.fill('#phone', '12345');
  await page.getByTestId('send-code').click();
  await expect(page.getByRole('alert')).toContainText('11位手机号');
});
