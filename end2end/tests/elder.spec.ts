import { test, expect, Page } from '@playwright/test';
import { PHONE, hydrated, open, shot, signIn, watchConsole } from './helpers';

// 关怀模式 (issue 17 item 6) and accessibility (item 8), on every customer
// page a 390×844 phone reaches, anonymous and signed in:
// - in elder mode, MIIT's technical items for age-friendly apps, measured
//   in the page: no visible text under 18 px, the largest at least 30 px,
//   line height at least 1.3, touch targets at least 60 px, no carousel
//   (no promotion), and the application form's shorter path;
// - in both modes, axe-core (WCAG 2.0/2.1 A and AA, colour contrast
//   included) finds no violation.

const AXE = require.resolve('axe-core/axe.min.js');
const LI = '13800000001';

type Measured = { small: string[]; tight: string[]; targets: string[]; max: number };

/** What elder mode's rules look at, measured in the page. */
async function measure(page: Page): Promise<Measured> {
  return page.evaluate(() => {
    const out = { small: [] as string[], tight: [] as string[], targets: [] as string[], max: 0 };
    const shown = (el: Element) => {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return false;
      for (let e: Element | null = el; e; e = e.parentElement) {
        const s = getComputedStyle(e);
        if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0') return false;
      }
      return !el.closest('.sr-only, [aria-hidden="true"]');
    };
    const label = (el: Element, text: string) =>
      `${el.tagName.toLowerCase()}.${String(el.className).split(' ').join('.')} "${text.slice(0, 24)}"`;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = (n.textContent ?? '').trim();
      const el = n.parentElement;
      if (!text || !el || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'OPTION', 'TITLE'].includes(el.tagName)) continue;
      if (!shown(el)) continue;
      const s = getComputedStyle(el);
      const fs = parseFloat(s.fontSize);
      out.max = Math.max(out.max, fs);
      if (fs < 17.5) out.small.push(`${fs}px ${label(el, text)}`);
      const lh = s.lineHeight === 'normal' ? fs * 1.2 : parseFloat(s.lineHeight);
      if (lh < fs * 1.3 - 0.5) out.tight.push(`${lh.toFixed(1)}/${fs}px ${label(el, text)}`);
    }
    const controls = 'button, a.btn, a.card, .m-tab, summary, label.checkbox, select, textarea, '
      + 'input:not([type=checkbox]):not([type=radio]):not([type=hidden]):not([type=file])';
    for (const el of document.querySelectorAll(controls)) {
      if (!shown(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.height < 59.5) out.targets.push(`${Math.round(r.height)}px ${label(el, (el.textContent ?? '').trim())}`);
    }
    return out;
  });
}

/** axe-core's WCAG 2.x A/AA violations on the page as it stands. */
async function axe(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const w = window as unknown as { axe: { run: (d: Document, o: object) => Promise<any> } };
    const r = await w.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations.map((v: any) =>
      `${v.id}: ${v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')).join(' | ')}`);
  });
}

/** The customer pages: anonymous ones first, then the signed-in ones. */
async function pages(page: Page): Promise<string[]> {
  await open(page, '/');
  const product = await page.getByTestId('product-card').first().getByRole('link').first().getAttribute('href');
  const list = ['/', '/login', product ?? '/'];
  return list;
}

async function signedInPages(page: Page): Promise<string[]> {
  await open(page, '/me');
  const hrefs = await page.locator('a[href^="/me/applications/"], a[href^="/me/loans/"]').evaluateAll(
    (as) => as.map((a) => a.getAttribute('href') ?? ''));
  const application = hrefs.find((h) => h.startsWith('/me/applications/'));
  const loan = hrefs.find((h) => h.startsWith('/me/loans/'));
  await open(page, '/');
  const apply = await page.getByTestId('product-card').first().getByRole('link', { name: '立即申请' }).getAttribute('href');
  return ['/me', '/account', '/me/notices', application, loan, apply].filter((p): p is string => !!p);
}

test('every customer page passes axe, and in elder mode MIIT\'s age-friendly rules', async ({ browser }) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  // The stylesheet and scripts are our own; axe is injected for the test only.
  const ctx = await browser.newContext({ ...PHONE, bypassCSP: true });
  const page = await ctx.newPage();
  watchConsole(page, errors);
  const found: string[] = [];
  const check = async (mode: 'normal' | 'elder', path: string) => {
    if (mode === 'elder') {
      const m = await measure(page);
      for (const s of m.small) found.push(`elder ${path} text under 18px: ${s}`);
      for (const s of m.tight) found.push(`elder ${path} line height under 1.3: ${s}`);
      for (const s of m.targets) found.push(`elder ${path} target under 60px: ${s}`);
      if (m.max < 30) found.push(`elder ${path} largest text ${m.max}px`);
    }
    for (const v of await axe(page)) found.push(`${mode} ${path} ${v}`);
  };
  const visit = async (mode: 'normal' | 'elder', paths: string[]) => {
    for (const path of paths) {
      await open(page, path);
      await check(mode, path);
    }
  };

  const anonymous = await pages(page);
  await visit('normal', anonymous);
  await open(page, '/login');
  await signIn(browser, page, LI);
  const signedIn = await signedInPages(page);
  await visit('normal', signedIn);

  // Elder mode, switched on where the customer finds it.
  await open(page, '/account');
  await page.getByText('关怀模式').click();
  await expect(page.locator('html')).toHaveClass(/large-font/);
  await shot(page, 'elder-01-account');
  await visit('elder', [...anonymous, ...signedIn]);
  await open(page, '/');
  await expect(page.getByTestId('product-carousel')).toHaveCount(0);
  await shot(page, 'elder-02-home');

  // The shorter path: no method or security to choose; then the visit.
  const apply = signedIn[signedIn.length - 1];
  await open(page, apply);
  await expect(page.getByTestId('choose-method')).toHaveCount(0);
  await expect(page.getByTestId('choose-guarantee')).toHaveCount(0);
  await page.fill('#amount', '30000');
  await page.selectOption('#purpose', 'farming');
  await page.getByTestId('consent').check();
  await shot(page, 'elder-03-apply');
  await page.getByTestId('submit-application').click();
  await expect(page).toHaveURL(/\/me\/applications\//);
  const progress = new URL(page.url()).pathname;
  await hydrated(page);
  await expect(page.getByTestId('visit-slot').first()).toBeVisible();
  await check('elder', progress);
  await shot(page, 'elder-04-progress');
  await page.getByTestId('visit-slot').first().click();
  await expect(page.getByTestId('visit-status')).toHaveAttribute('data-status', 'requested');
  await check('elder', `${progress} (booked)`);
  await page.getByTestId('visit-repick').click();
  await shot(page, 'elder-05-visit-booked');

  // Back to the usual size: the progress page passes axe there too.
  await open(page, '/account');
  await page.getByText('关怀模式').click();
  await expect(page.locator('html')).not.toHaveClass(/large-font/);
  await open(page, progress);
  await expect(page.getByTestId('visit-status')).toBeVisible();
  await check('normal', progress);

  expect(found, found.join('\n')).toEqual([]);
  expect(errors, errors.join('\n')).toEqual([]);
});
