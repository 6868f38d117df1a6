import { test, expect, Browser, Page } from '@playwright/test';
import { PHONE, hydrated, masked, open, shot, signIn, staffContext, watchConsole } from './helpers';

// 线上开户: a farmer the bank has never seen scans officer 刘洋's QR code,
// signs up with an SMS code, photographs a (synthetic) ID card that the
// server's Tesseract reads, fixes what it misread, is refused for a selfie
// of someone else, passes with her own, leaves half-way and resumes on
// another phone, applies, and the officer sees the application as his;
// she books the officer's visit, he proposes another hour, she accepts.

const FIX = 'fixtures/id';
const NARROW = { ...PHONE, viewport: { width: 360, height: 780 } };

/** A phone number no journey has used: 139 and eight digits of now. */
function newPhone(): string {
  return `139${String(Date.now()).slice(-8)}`;
}

test('a new farmer signs up by an officer\'s QR code, verifies, resumes elsewhere and applies', async ({ browser }) => {
  test.setTimeout(240_000);
  const errors: string[] = [];

  // The officer's own code, shown on his workbench.
  const officer = await staffContext(browser, 'officer1');
  await open(officer.page, '/staff');
  await officer.page.getByTestId('my-referral').locator('summary').click();
  const code = (await officer.page.getByTestId('referral-code').innerText()).trim();
  expect(code).toMatch(/^[2-9A-Z]{8}$/);
  await expect(officer.page.getByTestId('my-referral').locator('img')).toBeVisible();
  await shot(officer.page, 'onboard-00-officer-code');

  // Arriving by the link: the products, then apply, then sign in (= up).
  const ctx = await browser.newContext(PHONE);
  const phone = await ctx.newPage();
  watchConsole(phone, errors);
  await phone.goto(`/r/${code}`);
  await expect(phone).toHaveURL(/\/$/);
  await hydrated(phone);
  await expect(phone.getByTestId('product-card').first()).toBeVisible();
  await phone.getByTestId('product-card').first().getByRole('link', { name: '立即申请' }).click();
  await phone.getByRole('link', { name: '登录' }).click();
  await hydrated(phone);
  const phoneNo = newPhone();
  await signIn(browser, phone, phoneNo);
  await expect(phone).toHaveURL(/\/identity\?next=(%2F|\/)apply/);
  await expect(phone.getByTestId('referred-by')).toContainText('刘洋');
  await shot(phone, 'onboard-01-photos');

  // A shaken photo and the wrong side are refused in words.
  await phone.setInputFiles('#id-front', `${FIX}/blurred-front.jpg`);
  await expect(phone.getByTestId('id-slot-front').getByRole('alert')).toContainText('看不清');
  await phone.setInputFiles('#id-front', `${FIX}/zhang-back.jpg`);
  await expect(phone.getByTestId('id-slot-front').getByRole('alert')).toContainText('另一面');
  // The real sides, read by Tesseract on the server.
  await phone.setInputFiles('#id-front', `${FIX}/zhang-front.jpg`);
  await expect(phone.getByTestId('id-slot-front')).toHaveClass(/done/, { timeout: 30_000 });
  await phone.setInputFiles('#id-back', `${FIX}/zhang-back.jpg`);
  await expect(phone.getByTestId('id-confirm')).toBeVisible({ timeout: 30_000 });
  await expect(phone.locator('#id-name')).toHaveValue('张秀兰');
  await expect(phone.locator('#id-number')).toHaveValue('331102198503120226');
  await expect(phone.locator('#id-from')).toHaveValue('2016-05-01');
  await expect(phone.locator('#id-to')).toHaveValue('2036-05-01');
  await shot(phone, 'onboard-02-confirm');

  // She leaves; on her daughter's phone she signs in and is where she was.
  await ctx.close();
  const ctx2 = await browser.newContext(NARROW);
  const phone2 = await ctx2.newPage();
  watchConsole(phone2, errors);
  await open(phone2, '/login?next=/me');
  await signIn(browser, phone2, phoneNo);
  await expect(phone2).toHaveURL(/\/identity/);
  await expect(phone2.getByTestId('id-confirm')).toBeVisible();
  await expect(phone2.locator('#id-name')).toHaveValue('张秀兰');

  // A mistyped check digit is refused; OCR's misread address is corrected.
  await phone2.fill('#id-number', '331102198503120227');
  await phone2.getByTestId('id-confirm-submit').click();
  await expect(phone2.getByTestId('id-confirm').getByRole('alert')).toContainText('身份证');
  await phone2.fill('#id-number', '331102198503120226');
  await phone2.fill('#id-address', '浙江省丽水市莲都区碧湖镇大港头村18号');
  await phone2.getByTestId('id-confirm-submit').click();

  // The face check: someone else, then her.
  await expect(phone2.locator('#selfie')).toBeAttached();
  await shot(phone2, 'onboard-03-selfie-360');
  await phone2.setInputFiles('#selfie', `${FIX}/selfie-other.jpg`);
  await expect(phone2.getByRole('alert')).toContainText('人脸比对未通过');
  await phone2.setInputFiles('#selfie', `${FIX}/selfie.jpg`);
  await expect(phone2.getByTestId('id-done')).toBeVisible({ timeout: 30_000 });
  await shot(phone2, 'onboard-04-done-360');

  // On to the application she came for.
  await open(phone2, '/');
  await phone2.getByTestId('product-card').first().getByRole('link', { name: '立即申请' }).click();
  await hydrated(phone2);
  await phone2.fill('#amount', '20000');
  await phone2.selectOption('#purpose', 'farming');
  await phone2.getByTestId('consent').check();
  await phone2.getByTestId('submit-application').click();
  await expect(phone2).toHaveURL(/\/me\/applications\//);
  const progress = new URL(phone2.url()).pathname;
  const file = `/staff/applications/${progress.split('/').pop()}`;

  // The officer sees her application as his, by his code.
  await open(officer.page, file);
  await expect(officer.page.getByTestId('referral')).toContainText('刘洋');
  await expect(officer.page.getByTestId('referral')).toContainText(code);
  await expect(officer.page.getByText('张秀兰').first()).toBeVisible();
  await shot(officer.page, 'onboard-05-officer-file');

  // She books the visit among the officer's free hours; he proposes
  // another; she accepts it; each of his answers reaches her as a notice.
  await open(phone2, progress);
  await phone2.getByTestId('visit-slot').first().click();
  await expect(phone2.getByTestId('visit-status')).toHaveAttribute('data-status', 'requested');
  await shot(phone2, 'onboard-06-visit-booked-360');
  await open(officer.page, '/staff');
  const visits = officer.page.getByTestId('my-visits');
  await expect(visits.getByTestId('visits-to-confirm')).toBeVisible();
  const row = visits.getByTestId('visit-row').filter({ hasText: '张秀兰' });
  await row.getByTestId('visit-propose-slot').selectOption({ index: 2 });
  await shot(officer.page, 'onboard-07-officer-visits');
  await row.getByTestId('visit-propose').click();
  await expect(visits.getByRole('status')).toContainText('客户会收到通知');
  await expect(row).toHaveAttribute('data-status', 'proposed');
  await open(phone2, progress);
  await expect(phone2.getByTestId('visit-status')).toHaveAttribute('data-status', 'proposed');
  await phone2.getByTestId('visit-accept').click();
  await expect(phone2.getByTestId('visit-status')).toHaveAttribute('data-status', 'confirmed');
  await shot(phone2, 'onboard-08-visit-confirmed-360');
  await open(phone2, '/me/notices');
  await expect(phone2.getByTestId('notice').filter({ hasText: '客户经理建议改期' })).toBeVisible();
  await shot(phone2, 'onboard-09-notices-360');
  expect(errors).toEqual([]);
});
