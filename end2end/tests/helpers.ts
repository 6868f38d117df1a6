import { Browser, BrowserContext, Locator, Page, expect } from '@playwright/test';
import * as fs from 'fs';

export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
export const DESKTOP = { viewport: { width: 1440, height: 900 } };
export const PASSWORD = 'puhui2026';

fs.mkdirSync('screenshots', { recursive: true });

/** Collects console errors and uncaught exceptions. A 4xx answer to a
 *  refused request (wrong code, amount out of range) is expected; a 5xx is not. */
export function watchConsole(page: Page, errors: string[]) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (/status of 4\d\d/.test(m.text())) return;
    errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 500) errors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
}

/** Goes to a page and waits until the WebAssembly has hydrated it. */
export async function open(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
}

export async function hydrated(page: Page) {
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `screenshots/${name}.png`, fullPage: true });
  // Nothing may stick out sideways on a phone.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${name} overflows horizontally`).toBeLessThanOrEqual(0);
}

export async function staffContext(browser: Browser, username: string): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext(DESKTOP);
  const page = await ctx.newPage();
  await open(page, '/staff/login');
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('[data-testid=staff-login]');
  await expect(page.getByTestId('staff-name')).toBeVisible();
  return { ctx, page };
}

/** Reads the newest one-time code sent to a masked phone from the development SMS outbox. */
export async function latestCode(admin: Page, maskedPhone: string): Promise<string> {
  await open(admin, '/staff/outbox');
  const row = admin.getByTestId('outbox-row').filter({ hasText: maskedPhone }).first();
  const body = await row.innerText();
  const code = body.match(/(?<!\d)(\d{6})(?!\d)/);
  if (!code) throw new Error(`no code in outbox row: ${body}`);
  return code[1];
}

/** Demo staff by display name: the flow picks people at random and the
 *  application's flow panel names them. */
export const USERNAME_OF: Record<string, string> = {
  '刘洋': 'officer1',
  '张丽': 'officer2',
  '孙志强': 'investigator1',
  '吴敏': 'reviewer1',
  '赵立新': 'approver1',
  '钱海燕': 'approver2',
  '徐春梅': 'approver3',
  '郑晓红': 'disburser1',
};

/** The usernames holding the open tasks of a flow node, read off the
 *  application page's flow panel. */
export async function assigneesOf(page: Page, node: string): Promise<string[]> {
  const cells = page.locator(`[data-testid=flow-task][data-node=${node}][data-status=open] [data-testid=flow-assignee]`);
  await expect(cells.first()).toBeVisible();
  const names = await cells.allInnerTexts();
  return names.map((n) => {
    const u = USERNAME_OF[n.trim()];
    if (!u) throw new Error(`unknown assignee ${n}`);
    return u;
  });
}

/** Asks for a sign-in code. The journeys sign the same demo customers in
 *  one after another: when the server says the last code was sent less
 *  than a minute ago (操作太频繁，请 N 秒后再试), waits that long and asks again. */
export async function sendCode(phone: Page) {
  await phone.getByTestId('send-code').click();
  const sent = phone.getByTestId('code-sent');
  const limited = phone.getByRole('alert').filter({ hasText: '秒后再试' });
  await expect(sent.or(limited)).toBeVisible();
  if (await limited.isVisible()) {
    const seconds = Number((await limited.innerText()).match(/(\d+)\s*秒/)?.[1] ?? '60');
    await phone.waitForTimeout((seconds + 1) * 1000);
    await phone.getByTestId('send-code').click();
    await expect(sent).toBeVisible();
  }
}

/** Signs a customer in on a phone with the one-time code from the
 *  development SMS outbox (read by the administrator). */
export async function customerOnPhone(browser: Browser, phoneNo: string, errors: string[]): Promise<Page> {
  const ctx = await browser.newContext(PHONE);
  const phone = await ctx.newPage();
  watchConsole(phone, errors);
  await open(phone, '/login');
  await phone.fill('#phone', phoneNo);
  await sendCode(phone);
  const admin = await staffContext(browser, 'admin');
  const code = await latestCode(admin.page, `${phoneNo.slice(0, 3)}****${phoneNo.slice(7)}`);
  await admin.ctx.close();
  await phone.fill('#code', code);
  await phone.getByTestId('login').click();
  await expect(phone).not.toHaveURL(/\/login/);
  return phone;
}

/** The customer applies for `yuan` of the product named `name` from the
 *  home page's list; returns the application's page on the workbench. */
export async function applyFor(phone: Page, name: string, yuan: string): Promise<string> {
  await open(phone, '/');
  const product = phone.getByTestId('product-card').filter({ hasText: name });
  await product.getByRole('link', { name: '立即申请' }).click();
  await hydrated(phone);
  await phone.fill('#amount', yuan);
  await phone.selectOption('#purpose', 'farming');
  await phone.getByTestId('consent').check();
  await phone.getByTestId('submit-application').click();
  await expect(phone).toHaveURL(/\/me\/applications\//);
  return `/staff/applications/${phone.url().split('/').pop()}`;
}

/** The investigator on the file fills the on-site investigation, recommending approval. */
export async function investigate(page: Page, file: string) {
  await open(page, file);
  await page.fill('#visited_on', '2026-11-20');
  await page.fill('#income', '120000');
  await page.fill('#assets', '500000');
  await page.fill('#debts', '0');
  await page.fill('#findings', '经营大棚蔬菜，收入稳定，邻里评价良好。');
  await page.getByTestId('save-investigation').click();
  await expect(page.getByTestId('investigation')).toContainText('建议批准');
}

/** A product manager drafts a sub-product of 惠农e贷 in the supermarket. */
export async function draftSubProduct(page: Page, code: string, name: string, summary: string, flow: string) {
  await open(page, '/staff/products');
  const form = page.getByTestId('new-sub-product');
  await page.fill('#pm-code', code);
  await page.fill('#pm-name', name);
  await page.fill('#pm-summary', summary);
  await page.fill('#pm-min-amount', '20000');
  await page.fill('#pm-max-amount', '200000');
  await page.selectOption('#pm-flow', flow);
  await form.getByTestId('save-sub-product').click();
  const card = page.locator(`[data-testid=product-card][data-code=${code}]`);
  await expect(card.getByTestId('product-version')).toHaveAttribute('data-status', 'draft');
}

/** A second product manager publishes the draft. */
export async function publishSubProduct(page: Page, code: string) {
  await open(page, '/staff/products');
  const card = page.locator(`[data-testid=product-card][data-code=${code}]`);
  await card.getByTestId('publish-version').click();
  await expect(card.getByTestId('product-version')).toHaveAttribute('data-status', 'published');
}

/** Draws a signature (a zigzag) on the signature pad `pad` of `page`. */
export async function drawSignature(page: Page, pad: Locator) {
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  if (!box) throw new Error('no signature pad');
  await page.mouse.move(box.x + 20, box.y + box.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) {
    await page.mouse.move(box.x + 20 + i * 20, box.y + box.height / 2 + (i % 2 ? 18 : -18));
  }
  await page.mouse.up();
}

export function masked(p: string): string {
  return `${p.slice(0, 3)}****${p.slice(7)}`;
}

/** Signs a phone in (or up) on the login page `page` shows, with the code
 *  the administrator reads in the development SMS outbox. */
export async function signIn(browser: Browser, page: Page, phoneNo: string) {
  await page.fill('#phone', phoneNo);
  await sendCode(page);
  const admin = await staffContext(browser, 'admin');
  const code = await latestCode(admin.page, masked(phoneNo));
  await admin.ctx.close();
  await page.fill('#code', code);
  await page.getByTestId('login').click();
  await expect(page).not.toHaveURL(/\/login/);
  await hydrated(page);
}
