import { test, expect } from '@playwright/test';
import { applyFor, customerOnPhone, open, shot, staffContext, watchConsole } from './helpers';

// 押品: 王建国 applies for 安居贷 (a mortgage loan); the officer records his
// house, a stale valuation is refused, the registration number follows,
// the papers go into the vault asked by the officer and confirmed by the
// branch head, and the panel then says the loan may be paid out.
test.use({ actionTimeout: 15_000 });

test('the officer records the collateral and the papers go into the vault under two people', async ({ browser }) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  const phone = await customerOnPhone(browser, '13800000002', errors);
  const file = await applyFor(phone, '安居贷', '150000');

  const officer = await staffContext(browser, 'officer1');
  watchConsole(officer.page, errors);
  await open(officer.page, file);
  const panel = officer.page.getByTestId('collateral');
  await expect(panel).toContainText('该产品需抵（质）押');
  await expect(panel.getByTestId('collateral-not-ready')).toContainText('请先登记押品');

  await panel.getByTestId('collateral-record').locator('summary').click();
  await officer.page.fill('#col-owner', '王建国');
  await officer.page.fill('#col-certificate', '赣(2026)松江县不动产权第0012345号');
  await officer.page.fill('#col-valuation', '500000');
  await officer.page.fill('#col-valued-on', '2025-01-01');
  await officer.page.fill('#col-valuer', '县诚信资产评估有限公司');
  await officer.page.fill('#col-description', '两层砖混住宅，建筑面积 160 平方米');
  await panel.getByTestId('collateral-save').click();
  await expect(panel.getByRole('alert')).toContainText('评估已超过一年');
  // Nothing typed is lost: only the date changes.
  await expect(officer.page.locator('#col-certificate')).toHaveValue('赣(2026)松江县不动产权第0012345号');
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  await officer.page.fill('#col-valued-on', today);
  await panel.getByTestId('collateral-save').click();
  const row = panel.getByTestId('collateral-row');
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('collateral-custody')).toHaveText('已登记，未入库');
  await expect(panel.getByTestId('collateral-not-ready')).toContainText('抵押尚未办理登记');

  await row.getByTestId('collateral-registration').fill('赣(2026)松江县不动产证明第0098765号');
  await row.getByTestId('collateral-register').click();
  await expect(row).toContainText('不动产证明第0098765号');
  await expect(panel.getByTestId('collateral-not-ready')).toContainText('尚未入库');
  await row.getByTestId('collateral-in').click();
  await expect(row.getByTestId('collateral-custody')).toHaveText('入库待复核');
  await expect(row).toContainText('刘洋 申请，待复核');
  await expect(row.getByTestId('collateral-confirm')).toHaveCount(0);
  await shot(officer.page, 'collateral-01-officer');

  // The branch head confirms, on a 1024×768 tablet.
  const head = await staffContext(browser, 'head1');
  watchConsole(head.page, errors);
  await head.page.setViewportSize({ width: 1024, height: 768 });
  await open(head.page, file);
  const headPanel = head.page.getByTestId('collateral');
  await headPanel.getByTestId('collateral-confirm').click();
  await expect(headPanel.getByTestId('collateral-custody')).toHaveText('在库');
  await expect(headPanel.getByTestId('collateral-ready')).toBeVisible();
  await expect(headPanel.getByTestId('collateral-ltv')).toContainText('30.00%');
  await shot(head.page, 'collateral-02-head-tablet');

  expect(errors, errors.join('\n')).toEqual([]);
  await officer.ctx.close();
  await head.ctx.close();
});
