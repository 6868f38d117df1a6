import { test, expect } from '@playwright/test';
import { customerOnPhone, open, hydrated, shot, staffContext, watchConsole } from './helpers';

// 提前还款: 王建国 prepays part of his current loan on his phone (shorter
// term), the counter takes the rest as a full payoff, and he downloads the
// settlement certificate. Runs before servicing.spec (which uses his other,
// overdue loan and his credit line: neither is touched here).
test('customer prepays part on the phone, the counter pays off the rest, the certificate prints', async ({ browser }) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  const phone = await customerOnPhone(browser, '13800000002', errors);
  await open(phone, '/me');
  const current = phone.getByTestId('loan-card').filter({ hasNotText: '逾期' }).first();
  await current.click();
  await expect(phone).toHaveURL(/\/me\/loans\//);
  await hydrated(phone);
  const loanUrl = new URL(phone.url()).pathname;
  const loanId = loanUrl.split('/').pop();

  // A part, shortening the term: the quote of today, in Chinese.
  const card = phone.getByTestId('prepay-card');
  await expect(card).toContainText('提前还款');
  await card.getByTestId('prepay-kind-shorten_term').check();
  await phone.fill('#prepay-principal', '999999');
  await card.getByTestId('prepay-quote').click();
  await expect(card.getByRole('alert')).toContainText('不能超过剩余本金');
  await phone.fill('#prepay-principal', '20000');
  await card.getByTestId('prepay-quote').click();
  await expect(card.getByTestId('prepay-quote-result')).toBeVisible();
  await expect(card.getByTestId('prepay-periods')).toContainText('→');
  const total = await card.getByTestId('prepay-total').innerText();
  expect(Number(total.replace(/,/g, ''))).toBeGreaterThanOrEqual(20000);
  await shot(phone, 'prepay-01-quote');

  // The half-filled form survives a reload.
  await phone.reload();
  await hydrated(phone);
  await expect(phone.locator('#prepay-principal')).toHaveValue('20000');
  await expect(card.getByTestId('prepay-kind-shorten_term')).toBeChecked();

  // Quoted again and confirmed with a double click: posted once.
  await card.getByTestId('prepay-quote').click();
  await expect(card.getByTestId('prepay-confirm')).toContainText('确认提前还款');
  await card.getByTestId('prepay-confirm').dblclick();
  await expect(phone.getByTestId('prepaid')).toBeVisible();
  await expect(phone.getByTestId('prepay-history')).toContainText('部分还款，缩短期限');
  await expect(phone.getByTestId('prepay-history').locator('li')).toHaveCount(1);
  await shot(phone, 'prepay-02-done');

  // At the counter (1440×900): the desk pays off the rest.
  const desk = await staffContext(browser, 'disburser1');
  watchConsole(desk.page, errors);
  await open(desk.page, `/staff/loans/${loanId}`);
  const counter = desk.page.getByTestId('prepay-card');
  await expect(counter).toContainText('柜面提前还款');
  await counter.getByTestId('prepay-kind-payoff').check();
  await counter.getByTestId('prepay-quote').click();
  await expect(counter.getByTestId('prepay-confirm')).toContainText('确认入账');
  await shot(desk.page, 'prepay-03-counter-quote');
  await counter.getByTestId('prepay-confirm').click();
  await expect(desk.page.getByTestId('certificate-link')).toBeVisible();
  await expect(desk.page.getByTestId('prepay-history').locator('li')).toHaveCount(2);
  await shot(desk.page, 'prepay-04-counter-settled');

  // On the phone the loan is settled, and the certificate is there to print.
  await open(phone, loanUrl);
  await expect(phone.getByTestId('prepay-card')).toHaveCount(0);
  await phone.getByTestId('certificate-link').click();
  await expect(phone).toHaveURL(/\/settlement$/);
  await hydrated(phone);
  const cert = phone.getByTestId('certificate');
  await expect(cert).toContainText('结清证明');
  await expect(cert).toContainText('王建国');
  await expect(cert).toContainText('全部结清');
  await expect(phone.getByTestId('certificate-seal')).toHaveText(/^[0-9A-F]{4}( [0-9A-F]{4}){3}$/);
  await shot(phone, 'prepay-05-certificate');
  await phone.setViewportSize({ width: 360, height: 740 });
  await shot(phone, 'prepay-06-certificate-360');

  expect(errors, errors.join('\n')).toEqual([]);
  await desk.ctx.close();
});
