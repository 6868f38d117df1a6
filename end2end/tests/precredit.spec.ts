import { test, expect } from '@playwright/test';
import { PHONE, open, hydrated, shot, staffContext, latestCode, watchConsole } from './helpers';

// Whole-village pre-credit (整村授信): an account officer runs the batch over
// every household of his branch as a background job, watches it finish,
// reads the results and offers every approved household a credit line; one
// of them, 田晓红, accepts hers on her phone and has a credit line to draw on.
test('officer runs whole-village pre-credit and offers the approved households a line', async ({ browser }) => {
  const errors: string[] = [];
  const officer = await staffContext(browser, 'officer1');
  watchConsole(officer.page, errors);
  await open(officer.page, '/staff/precredit');
  await expect(officer.page.getByTestId('precredit-page')).toContainText('辖内全部村的全部农户');
  // One village of his area, or the whole area (the default, run here).
  expect(await officer.page.getByTestId('pc-village').locator('option').count()).toBeGreaterThan(1);
  // The job runs in the background; the list shows its progress. (A click
  // that lands before the button is hydrated does nothing: click again.)
  const job = officer.page.getByTestId('pc-job').first();
  await expect(async () => {
    await officer.page.getByTestId('pc-start').click();
    await expect(job).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 30_000 });
  await expect(async () => {
    await officer.page.reload();
    await expect(job).toHaveAttribute('data-status', 'completed', { timeout: 1_000 });
  }).toPass({ timeout: 60_000 });
  await hydrated(officer.page);
  await shot(officer.page, 'precredit-01-jobs');

  // Its results, filtered. He made the list, so he does not offer it: the
  // branch head checks the results and offers every approved household.
  const results = await job.getByRole('link', { name: '结果' }).getAttribute('href');
  await open(officer.page, results!);
  await expect(officer.page.getByTestId('pc-result').first()).toBeVisible();
  await officer.page.getByRole('button', { name: '通过', exact: true }).click();
  await expect(officer.page.getByTestId('pc-result').first()).toContainText('通过');
  await expect(officer.page.getByTestId('pc-offer-checker')).toContainText('另一位');
  await expect(officer.page.getByTestId('pc-offer-all')).toHaveCount(0);
  const head = await staffContext(browser, 'head1');
  watchConsole(head.page, errors);
  await open(head.page, results!);
  await expect(head.page.getByTestId('pc-result').first()).toBeVisible();
  await hydrated(head.page);
  await head.page.getByTestId('pc-offer-all').click();
  await expect(head.page.getByTestId('pc-offered')).toContainText('已生成');
  await shot(head.page, 'precredit-02-results');
  await head.ctx.close();

  // A whitelist from Excel: the good row is imported and decided, each bad
  // row comes back with its row number and reason.
  await open(officer.page, '/staff/precredit');
  await officer.page.getByTestId('wl-file').setInputFiles('fixtures/whitelist-sample.xlsx');
  await officer.page.getByTestId('wl-upload').click();
  const report = officer.page.getByTestId('wl-report');
  await expect(report).toContainText('读取 4 行：导入 1 行（新客户 1 位），3 行有问题');
  const problems = officer.page.getByTestId('wl-problem');
  await expect(problems).toHaveCount(3);
  await expect(problems.filter({ hasText: '身份证号无效' })).toContainText('3');
  await expect(problems.filter({ hasText: '找不到该村' })).toContainText('不存在村');
  await expect(problems.filter({ hasText: '建议额度不是数字' })).toContainText('五万');
  await shot(officer.page, 'precredit-05-whitelist');

  // 田晓红 sees the offer on her phone and accepts it: a credit line opens.
  const phoneCtx = await browser.newContext(PHONE);
  const phone = await phoneCtx.newPage();
  watchConsole(phone, errors);
  await open(phone, '/login?next=/me');
  await phone.fill('#phone', '13100002026');
  await phone.getByTestId('send-code').click();
  await expect(phone.getByTestId('code-sent')).toContainText('131****2026');
  const admin = await staffContext(browser, 'admin');
  const code = await latestCode(admin.page, '131****2026');
  await admin.ctx.close();
  await phone.fill('#code', code);
  await phone.getByTestId('login').click();
  await expect(phone).toHaveURL(/\/me$/);
  await hydrated(phone);
  const offer = phone.getByTestId('offer-card');
  await expect(offer).toContainText('您有一笔预授信额度');
  const limit = (await offer.getByTestId('offer-limit').innerText()).trim();
  await shot(phone, 'precredit-03-offer');
  await offer.getByTestId('offer-accept').click();
  await expect(phone.getByTestId('offer-card')).toHaveCount(0);
  await expect(phone.getByTestId('line-available')).toContainText(limit);
  await shot(phone, 'precredit-04-line');

  expect(errors, errors.join('\n')).toEqual([]);
  await officer.ctx.close();
  await phoneCtx.close();
});
