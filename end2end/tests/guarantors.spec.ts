import { test, expect, Page } from '@playwright/test';
import {
  applyFor, assigneesOf, customerOnPhone, drawSignature, investigate, latestCode, open, shot, staffContext, watchConsole,
} from './helpers';

// 保证人: 李秀英 applies for 丰收贷 (a guaranteed loan). The officer records
// two guarantors (a mistyped ID number is refused in Chinese and nothing
// typed is lost); each consents face to face with a code sent to their own
// phone, one is declined by the bureau check and removed; after approval
// the officer draws up the guarantee contract and the guarantor signs it
// on a tablet with a code and a drawn signature; the bank seals it.
//
// The development bureau is deterministic: the service test
// `the_journeys_guarantors_are_accepted_by_the_development_bureau` keeps
// these two numbers accepted and declined.
const ACCEPTED = '360721197503171009';
const DECLINED = '360721197503181012';
test.use({ actionTimeout: 15_000 });

async function record(page: Page, name: string, id: string, phone: string) {
  const panel = page.getByTestId('guarantors');
  const form = panel.getByTestId('guarantor-record');
  if (!(await form.evaluate((d) => (d as HTMLDetailsElement).open))) {
    await form.locator('summary').click();
  }
  await page.fill('#gtr-name', name);
  await page.fill('#gtr-id', id);
  await page.fill('#gtr-phone', phone);
  await page.selectOption('#gtr-relation', 'neighbour');
  await page.fill('#gtr-note', '同村种植大户');
  await panel.getByTestId('guarantor-save').click();
}

async function consent(page: Page, admin: Page, row: ReturnType<Page['getByTestId']>, masked: string) {
  await row.getByTestId('guarantor-send-consent').click();
  await expect(row.getByTestId('code-sent')).toContainText(masked);
  const code = await latestCode(admin, masked);
  await row.locator('#gtr-consent-code').fill(code);
  await row.getByTestId('guarantor-confirm-consent').click();
}

test('guarantors consent, are checked at the bureau and sign the guarantee contract face to face', async ({ browser }) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  const phone = await customerOnPhone(browser, '13800000001', errors);
  const file = await applyFor(phone, '丰收贷', '30000');
  const admin = await staffContext(browser, 'admin');

  const officer = await staffContext(browser, 'officer1');
  watchConsole(officer.page, errors);
  await open(officer.page, file);
  const panel = officer.page.getByTestId('guarantors');
  await expect(panel).toContainText('该产品为保证贷款');
  await expect(panel.getByTestId('guarantors-not-ready')).toContainText('请先登记保证人');

  // A mistyped ID number: refused in words, the form kept.
  await record(officer.page, '张建华', ACCEPTED.slice(0, 17) + '0', '13900000031');
  await expect(panel.getByRole('alert')).toContainText('身份证');
  await expect(officer.page.locator('#gtr-name')).toHaveValue('张建华');
  await officer.page.fill('#gtr-id', ACCEPTED);
  await panel.getByTestId('guarantor-save').click();
  await expect(panel.getByTestId('guarantor-row')).toHaveCount(1);
  await record(officer.page, '赵德顺', DECLINED, '13900000032');
  const rows = panel.getByTestId('guarantor-row');
  await expect(rows).toHaveCount(2);
  const zhang = rows.filter({ hasText: '张建华' });
  const zhao = rows.filter({ hasText: '赵德顺' });
  await expect(zhang.getByTestId('guarantor-status')).toHaveText('待授权');
  // Masked: never the whole ID number or phone on the page.
  await expect(zhang).toContainText('139****0031');
  await expect(zhang).not.toContainText(ACCEPTED);

  await consent(officer.page, admin.page, zhang, '139****0031');
  await expect(zhang.getByTestId('guarantor-status')).toHaveText('征信通过，待签署');
  await expect(zhang.getByTestId('guarantor-score')).toContainText('开发环境模拟数据');
  await consent(officer.page, admin.page, zhao, '139****0032');
  await expect(zhao.getByTestId('guarantor-status')).toHaveText('征信未通过');
  await expect(panel.getByTestId('guarantors-not-ready')).toContainText('未通过征信审查');
  await shot(officer.page, 'guarantors-01-checked');
  await zhao.getByTestId('guarantor-remove').click();
  await expect(rows).toHaveCount(1);
  await expect(panel.getByTestId('guarantors-not-ready')).toContainText('尚未签署保证合同');

  // Investigation and approval; the loan contract is drawn up at approval.
  const [investigatorName] = await assigneesOf(officer.page, 'investigation');
  if (investigatorName === 'officer1') {
    await investigate(officer.page, file);
  } else {
    const investigator = await staffContext(browser, investigatorName);
    await investigate(investigator.page, file);
    await investigator.ctx.close();
    await open(officer.page, file);
  }
  const [approverName] = await assigneesOf(officer.page, 'approval');
  const approver = await staffContext(browser, approverName);
  watchConsole(approver.page, errors);
  await open(approver.page, file);
  await approver.page.fill('#comment', '同意，保证人资信良好。');
  await approver.page.getByTestId('approve').click();
  await expect(approver.page.getByTestId('approval')).toContainText('批准');
  await approver.ctx.close();

  // On a 1024×768 tablet in the village: the guarantee contract, and the
  // guarantor signs it in person.
  await officer.page.setViewportSize({ width: 1024, height: 768 });
  await open(officer.page, file);
  await panel.getByTestId('generate-guarantee').click();
  const contract = panel.getByTestId('guarantee-contract');
  await expect(contract.getByTestId('contract-no')).toHaveText(/-BZ1$/);
  await expect(panel.getByTestId('guarantee-progress')).toContainText('0 / 1');
  const sign = zhang.getByTestId('guarantor-sign');
  await sign.locator('summary').click();
  await sign.getByTestId('guarantor-send-sign').click();
  await expect(sign.getByTestId('code-sent')).toContainText('139****0031');
  const code = await latestCode(admin.page, '139****0031');
  await sign.locator('#gtr-sign-code').fill(code);
  // Signing without a drawn signature is refused first.
  await sign.getByTestId('guarantor-sign-button').click();
  await expect(sign.getByRole('alert')).toContainText('手写签名');
  await drawSignature(officer.page, sign.getByTestId('signature-pad'));
  await shot(officer.page, 'guarantors-02-sign-tablet');
  await sign.getByTestId('guarantor-sign-button').dblclick();
  await expect(zhang.getByTestId('guarantor-status')).toHaveText('已签署');
  await expect(contract.getByTestId('contract-status')).toHaveText('已签署');
  await expect(panel.getByTestId('guarantors-ready')).toBeVisible();
  await expect(panel.getByTestId('guarantor-record')).toHaveCount(0);
  await shot(officer.page, 'guarantors-03-signed-tablet');
  await officer.page.setViewportSize({ width: 1440, height: 900 });
  await shot(officer.page, 'guarantors-04-signed-desktop');

  // The audit log has every step in words.
  await open(admin.page, '/staff/audit');
  await expect(admin.page.getByTestId('chain-ok')).toBeVisible();
  await expect(admin.page.getByTestId('audit-table')).toContainText('保证人签署保证合同');

  expect(errors, errors.join('\n')).toEqual([]);
  await officer.ctx.close();
  await admin.ctx.close();
});
