import { test, expect } from '@playwright/test';
import { PHONE, open, hydrated, shot, staffContext, latestCode, watchConsole } from './helpers';

// Rule sets, maker-checker: a customer's application leaves a pre-screen
// decision; the bank's risk manager starts a draft from the live version,
// a mistyped feature is refused at its cell, the fixed draft is tried on the
// stored application (test bench) and simulated, then submitted; the author
// cannot approve it, a second risk manager approves and publishes it.
test('risk manager drafts a rule set, a second one approves and publishes it', async ({ browser }) => {
  const errors: string[] = [];

  // 王磊 (a generated customer of the demo bank) applies for the first product: its pre-screen decision is stored.
  const phoneCtx = await browser.newContext(PHONE);
  const phone = await phoneCtx.newPage();
  watchConsole(phone, errors);
  await open(phone, '/login?next=/');
  await phone.fill('#phone', '13000002026');
  await phone.getByTestId('send-code').click();
  await expect(phone.getByTestId('code-sent')).toContainText('130****2026');
  const admin = await staffContext(browser, 'admin');
  const code = await latestCode(admin.page, '130****2026');
  await phone.fill('#code', code);
  await phone.getByTestId('login').click();
  await expect(phone).toHaveURL(/\/$/);
  await hydrated(phone);
  const card = phone.getByTestId('product-card').first();
  const product = (await card.locator('.m-product-name').innerText()).trim();
  await card.getByRole('link', { name: '立即申请' }).click();
  await expect(phone).toHaveURL(/\/apply\//);
  await hydrated(phone);
  await phone.fill('#amount', '30000');
  await phone.selectOption('#purpose', 'farming');
  await phone.getByTestId('consent').check();
  await phone.getByTestId('submit-application').click();
  await expect(phone).toHaveURL(/\/me\/applications\//);
  await admin.ctx.close();

  // The risk manager's list: every version, the live pre-screen among them.
  const maker = await staffContext(browser, 'risk1');
  watchConsole(maker.page, errors);
  await open(maker.page, '/staff/rules');
  const live = maker.page
    .getByTestId('rule-set-row')
    .filter({ hasText: product })
    .filter({ hasText: '预审' })
    .filter({ hasText: '生效中' });
  await expect(live).toHaveCount(1);
  await shot(maker.page, 'rules-01-list');
  await live.getByRole('link').click();
  await hydrated(maker.page);
  await expect(maker.page.getByTestId('rule-set-status')).toHaveText('生效中');

  // A new draft from the live version.
  await maker.page.getByTestId('rule-set-new-draft').click();
  await expect(maker.page.getByTestId('rule-set-status')).toHaveText('草稿');
  await hydrated(maker.page);
  const status = maker.page.getByTestId('rule-set-status');

  // A mistyped feature: refused at its cell, with the text and the place.
  const condition = maker.page.getByTestId('rule-row').first().locator('td.rs-condition input');
  const original = await condition.inputValue();
  await condition.fill(`agee >= 18 and (${original})`);
  await condition.press('Tab');
  await expect(maker.page.getByText('有未保存的修改').first()).toBeVisible();
  await maker.page.getByTestId('rule-set-save').click();
  const cellError = maker.page.getByTestId('cell-error');
  await expect(cellError).toContainText('引用了不存在的特征「agee」');
  await expect(cellError).toContainText('第 1 行第 1 列');
  await expect(maker.page.getByTestId('rule-set-problem')).toBeVisible();
  await shot(maker.page, 'rules-02-cell-error');

  // Fixed: the check passes and the draft is saved.
  await condition.fill(original);
  await condition.press('Tab');
  await maker.page.getByTestId('rule-set-check').click();
  await expect(maker.page.getByTestId('rule-set-notice')).toContainText('校验通过');
  await expect(cellError).toHaveCount(0);
  await maker.page.getByTestId('rule-set-save').click();
  await expect(maker.page.getByTestId('rule-set-notice')).toContainText('草稿已保存');
  await hydrated(maker.page);

  // The test bench: the stored application, decided again with its trace.
  const bench = maker.page.getByTestId('test-bench');
  await expect(bench.getByTestId('bench-pick')).toContainText('王*');
  await bench.getByTestId('bench-run').click();
  await expect(bench.getByTestId('bench-result')).toContainText('当时决策');
  await expect(bench.locator('.trace li').first()).toBeVisible();

  // Simulation with hit statistics per rule.
  const sim = maker.page.getByTestId('simulation');
  await sim.getByTestId('sim-run').click();
  await expect(sim.getByTestId('sim-report')).toBeVisible();
  await expect(sim.getByTestId('sim-changed')).toHaveText('0');
  await expect(sim.getByTestId('sim-hits')).toBeVisible();
  await shot(maker.page, 'rules-03-bench-simulation');

  // Submitted; the author may not approve it.
  await maker.page.getByTestId('rule-set-submit').click();
  await expect(status).toHaveText('待复核');
  await hydrated(maker.page);
  await expect(maker.page.getByTestId('self-approval')).toBeVisible();
  await expect(maker.page.getByTestId('rule-set-approve')).toHaveCount(0);
  const draftUrl = maker.page.url();

  // The checker approves with a comment and publishes: the old version retires.
  const checker = await staffContext(browser, 'risk3');
  watchConsole(checker.page, errors);
  await open(checker.page, draftUrl.replace(/^https?:\/\/[^/]+/, ''));
  await expect(checker.page.getByTestId('rule-set-status')).toHaveText('待复核');
  await checker.page.locator('.rs-review textarea').fill('已核对规则与仿真结果，同意');
  await checker.page.getByTestId('rule-set-approve').click();
  await expect(checker.page.getByTestId('rule-set-status')).toHaveText('已复核');
  await hydrated(checker.page);
  await checker.page.getByTestId('rule-set-publish').click();
  await expect(checker.page.getByTestId('rule-set-status')).toHaveText('生效中');
  await shot(checker.page, 'rules-04-published');
  await open(checker.page, '/staff/rules');
  await expect(
    checker.page.getByTestId('rule-set-row').filter({ hasText: product }).filter({ hasText: '预审' }).filter({ hasText: '已停用' }),
  ).toHaveCount(1);

  expect(errors, errors.join('\n')).toEqual([]);
  await phoneCtx.close();
  await maker.ctx.close();
  await checker.ctx.close();
});
