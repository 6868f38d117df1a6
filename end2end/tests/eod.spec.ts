import { test, expect } from '@playwright/test';
import { open, shot, staffContext, watchConsole } from './helpers';

// The end-of-day batch inside the server: the administrator sees the page
// (this test server schedules no batch), a future date is refused in
// Chinese, and a rerun of yesterday (the demo book is already there, so
// nothing is accrued twice) completes and is listed with who ran it.
test('administrator reruns the end-of-day batch of a past date', async ({ browser }) => {
  const errors: string[] = [];
  const { ctx, page } = await staffContext(browser, 'admin');
  watchConsole(page, errors);
  await open(page, '/staff/eod');
  await expect(page.getByTestId('eod-schedule')).toContainText('未安排自动跑批');

  const today = await page.locator('#eod-date').inputValue();
  const shift = (days: number) => {
    const d = new Date(`${today}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  };
  await page.fill('#eod-date', shift(1));
  await page.getByTestId('eod-rerun').getByRole('button').click();
  await expect(page.getByRole('alert').filter({ hasText: '不能对未来日期跑批' })).toBeVisible();

  const yesterday = shift(-1);
  await page.fill('#eod-date', yesterday);
  await page.getByTestId('eod-rerun').getByRole('button').click();
  const row = page.getByTestId('eod-run').filter({ hasText: yesterday });
  await expect(row).toContainText('已完成', { timeout: 30_000 });
  await expect(row).toContainText('周建华 发起重跑');
  await shot(page, 'eod-01-desktop');

  await page.setViewportSize({ width: 1024, height: 768 });
  await shot(page, 'eod-02-tablet');
  expect(errors).toEqual([]);
  await ctx.close();
});
