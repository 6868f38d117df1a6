import { test, expect } from '@playwright/test';
import { customerOnPhone, hydrated, open, shot, staffContext, watchConsole } from './helpers';

// The product factory finished: a product manager makes a new top-level
// product offering two repayment methods and two guarantee types, a second
// manager publishes it, a customer chooses among them on the phone, a new
// version changes a parameter, and the product is withdrawn (停用) with its
// reason: customers no longer see it, the application already made runs on.
test('a new product with choices, applied for, versioned and withdrawn', async ({ browser }) => {
  const errors: string[] = [];
  const maker = await staffContext(browser, 'product1');
  watchConsole(maker.page, errors);
  await open(maker.page, '/staff/products');
  const panel = maker.page.getByTestId('new-sub-product');
  await panel.getByTestId('pm-tab-new').click();
  const form = panel.locator('[data-testid=product-form][data-kind=new]');
  await expect(form).toBeVisible();
  await maker.page.fill('#pm-code', 'SHD');
  await maker.page.fill('#pm-name', '双惠贷');
  await maker.page.fill('#pm-summary', '农户经营贷款，可选等额本息或等额本金，信用或保证。');
  // A top-level product must state its amounts: refused in Chinese, nothing lost.
  await form.getByTestId('save-sub-product').click();
  await expect(form.getByRole('alert')).toContainText('请同时填写下限和上限');
  await expect(maker.page.locator('#pm-name')).toHaveValue('双惠贷');
  await maker.page.fill('#pm-min-amount', '10000');
  await maker.page.fill('#pm-max-amount', '100000');
  await maker.page.fill('#pm-min-term', '6');
  await maker.page.fill('#pm-max-term', '24');
  await maker.page.fill('#pm-min-rate', '4');
  await maker.page.fill('#pm-max-rate', '8');
  await maker.page.fill('#pm-base-rate', '5.5');
  await maker.page.fill('#pm-max-discount', '1');
  await maker.page.fill('#pm-max-markup', '2');
  await form.locator('[data-testid=pm-method][value=equal_principal]').check();
  await form.locator('[data-testid=pm-guarantee][value=guarantor]').check();
  await shot(maker.page, 'product-10-new-product');
  await form.getByTestId('save-sub-product').click();
  const card = maker.page.locator('[data-testid=product-card][data-code=SHD]');
  await expect(card.getByTestId('product-version')).toHaveAttribute('data-status', 'draft');
  await expect(card).toContainText('等额本金');

  const checker = await staffContext(browser, 'product2');
  watchConsole(checker.page, errors);
  await open(checker.page, '/staff/products');
  const theirs = checker.page.locator('[data-testid=product-card][data-code=SHD]');
  await theirs.getByTestId('publish-version').click();
  await expect(theirs.getByTestId('product-version')).toHaveAttribute('data-status', 'published');

  // 李秀英 chooses equal principal and a guarantor on her phone.
  const phone = await customerOnPhone(browser, '13800000001', errors);
  await open(phone, '/');
  const offer = phone.getByTestId('product-card').filter({ hasText: '双惠贷' });
  await offer.getByRole('link', { name: '立即申请' }).click();
  await hydrated(phone);
  await expect(phone.getByTestId('choose-method')).toContainText('等额本金');
  await phone.fill('#amount', '30000');
  await phone.selectOption('#purpose', 'farming');
  await phone.getByTestId('choose-method').getByText('等额本金').click();
  await phone.getByTestId('choose-guarantee').getByText('保证', { exact: true }).click();
  await expect(phone.getByTestId('choose-guarantee')).toContainText('保证人到场签字');
  await phone.getByTestId('consent').check();
  await shot(phone, 'product-11-choose-method');
  await phone.getByTestId('submit-application').click();
  await expect(phone).toHaveURL(/\/me\/applications\//);
  const file = `/staff/applications/${phone.url().split('/').pop()}`;
  const officer = await staffContext(browser, 'officer1');
  watchConsole(officer.page, errors);
  await open(officer.page, file);
  await expect(officer.page.locator('main')).toContainText('等额本金');
  await expect(officer.page.getByTestId('guarantors')).toBeVisible();

  // A new version: a higher ceiling, with its reason; published by the other.
  await open(maker.page, '/staff/products');
  await card.getByTestId('new-version').click();
  const next = card.getByTestId('version-form');
  await expect(maker.page.locator('#pv-max-amount')).toHaveValue('100000');
  await maker.page.fill('#pv-max-amount', '150000');
  await maker.page.fill('#pv-note', '提高最高额度至 15 万元');
  await next.getByTestId('save-sub-product').click();
  await expect(card.locator('[data-testid=product-version][data-status=draft]')).toContainText('提高最高额度');
  await open(checker.page, '/staff/products');
  await theirs.getByTestId('publish-version').click();
  await expect(theirs.getByTestId('product-version')).toHaveCount(1);
  await expect(theirs.getByTestId('product-version')).toContainText('第 2 版');
  await expect(theirs.getByTestId('product-version')).toContainText('150,000');

  // Withdrawn with its reason: gone from the customer's list.
  await theirs.getByTestId('retire-version').click();
  await theirs.getByTestId('retire-confirm').click();
  await expect(theirs.getByRole('alert')).toContainText('请填写停用原因');
  await theirs.getByTestId('retire-reason-input').fill('季末停办，待新定价后恢复');
  await shot(checker.page, 'product-12-withdraw');
  await theirs.getByTestId('retire-confirm').click();
  await expect(theirs.getByTestId('off-sale')).toBeVisible();
  await expect(theirs.getByTestId('retire-reason')).toContainText('季末停办');
  await open(phone, '/');
  await expect(phone.getByTestId('product-card').first()).toBeVisible();
  await expect(phone.getByTestId('product-card').filter({ hasText: '双惠贷' })).toHaveCount(0);
  // Her application runs on.
  await open(officer.page, file);
  await expect(officer.page.locator('main')).toContainText('双惠贷');

  expect(errors).toEqual([]);
});
