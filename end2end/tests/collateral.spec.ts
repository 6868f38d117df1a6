import * as path from 'path';
import { test, expect } from '@playwright/test';
import {
  applyFor, assigneesOf, customerOnPhone, drawSignature, hydrated, investigate, latestCode, open, shot, staffContext, watchConsole,
} from './helpers';

// 押品: 李秀英 applies for 安居贷 (a mortgage loan); the officer records her
// house, a stale valuation is refused, the registration number follows,
// the papers go into the vault asked by the officer and confirmed by the
// branch head; after approval the officer draws up the mortgage contract,
// she signs it on her phone, and the panel then says the loan may be paid
// out.
test.use({ actionTimeout: 15_000 });

test('the officer records the collateral and the papers go into the vault under two people', async ({ browser }) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  const phone = await customerOnPhone(browser, '13800000001', errors);
  const file = await applyFor(phone, '安居贷', '150000');

  const officer = await staffContext(browser, 'officer1');
  watchConsole(officer.page, errors);
  await open(officer.page, file);
  const panel = officer.page.getByTestId('collateral');
  await expect(panel).toContainText('该产品需抵（质）押');
  await expect(panel.getByTestId('collateral-not-ready')).toContainText('请先登记押品');

  await panel.getByTestId('collateral-record').locator('summary').click();
  await officer.page.fill('#col-owner', '李秀英');
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
  // A photo of the house (the browser scales it down and sends a JPEG);
  // a file that is no picture is refused in Chinese, and nothing is added.
  await row.getByTestId('collateral-photo-file').setInputFiles({
    name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('这不是照片'),
  });
  await expect(row.getByRole('alert')).toContainText('照片须为 JPEG、PNG 或 WebP 图片');
  await expect(row.getByTestId('collateral-photo')).toHaveCount(0);
  await row.getByTestId('collateral-photo-caption').fill('房屋正面');
  await row.getByTestId('collateral-photo-file').setInputFiles(path.join(__dirname, '..', 'fixtures', 'house.jpg'));
  const photo = row.getByTestId('collateral-photo');
  await expect(photo).toHaveCount(1);
  await expect(photo).toContainText('房屋正面 · 刘洋');
  await expect(row.getByRole('alert')).toHaveCount(0);
  await expect.poll(() => photo.locator('img').evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(0);

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
  await expect(headPanel.getByTestId('collateral-not-ready')).toContainText('抵（质）押合同尚未签署');
  await expect(headPanel.getByTestId('collateral-ltv')).toContainText('30.00%');
  await shot(head.page, 'collateral-02-head-tablet');

  // Approved, the officer draws up the mortgage contract naming the house;
  // 李秀英 finds it beside her loan contract and signs it on her phone.
  const [investigatorName] = await assigneesOf(officer.page, 'investigation');
  const investigator = investigatorName === 'officer1' ? officer : await staffContext(browser, investigatorName);
  await investigate(investigator.page, file);
  const [approverName] = await assigneesOf(investigator.page, 'approval');
  const approver = await staffContext(browser, approverName);
  await open(approver.page, file);
  await approver.page.fill('#comment', '同意，押品足值。');
  await approver.page.getByTestId('approve').click();
  await expect(approver.page.getByTestId('approval')).toContainText('批准');
  await approver.ctx.close();
  await open(officer.page, file);
  await panel.getByTestId('generate-mortgage').click();
  const mortgage = panel.getByTestId('mortgage-contract');
  await expect(mortgage.getByTestId('contract-no')).toHaveText(/-DY1$/);
  // Voided with a reason (none is refused) and drawn up again.
  await mortgage.getByTestId('void-contract').locator('summary').click();
  await mortgage.getByTestId('void-confirm').click();
  await expect(mortgage.getByRole('alert')).toContainText('请填写作废原因');
  await mortgage.getByTestId('void-reason').fill('押品清单需补充评估机构全称');
  await mortgage.getByTestId('void-confirm').click();
  await expect(mortgage).toHaveCount(0);
  await panel.getByTestId('generate-mortgage').click();
  await expect(mortgage.getByTestId('contract-no')).toHaveText(/-DY2$/);
  await expect(mortgage).toContainText('等待借款人（抵押人）在手机上签署');

  await open(phone, new URL(phone.url()).pathname);
  const cards = phone.getByTestId('application-contract');
  await expect(cards).toHaveCount(2);
  await cards.filter({ hasText: '抵押合同' }).click();
  await hydrated(phone);
  await expect(phone.getByTestId('contract-text')).toContainText('不动产权第0012345号');
  await phone.getByTestId('send-sign-code').click();
  await expect(phone.getByTestId('code-sent')).toBeVisible();
  const admin = await staffContext(browser, 'admin');
  await phone.fill('#ct-code', await latestCode(admin.page, '138****0001'));
  await admin.ctx.close();
  await drawSignature(phone, phone.getByTestId('signature-pad'));
  await phone.getByTestId('sign-contract').click();
  await expect(phone.getByTestId('signed-panel')).toBeVisible();
  await shot(phone, 'collateral-03-mortgage-signed-phone');

  await open(officer.page, file);
  await expect(panel.getByTestId('collateral-ready')).toBeVisible();
  await expect(mortgage.getByTestId('contract-status')).toHaveText('已签署');
  await shot(officer.page, 'collateral-04-ready');

  expect(errors, errors.join('\n')).toEqual([]);
  if (investigator !== officer) await investigator.ctx.close();
  await officer.ctx.close();
  await head.ctx.close();
});
