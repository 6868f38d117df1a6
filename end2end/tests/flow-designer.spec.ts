import { Page, expect, test } from '@playwright/test';
import { open, shot, staffContext, watchConsole } from './helpers';

/** The designer's route row that leaves `from` with `on`. */
async function route(page: Page, from: string, on: string) {
  const rows = page.getByTestId('fd-edge');
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    const selects = row.locator('select');
    if ((await selects.nth(0).inputValue()) === from && (await selects.nth(1).inputValue()) === on) {
      return row;
    }
  }
  throw new Error(`no route ${from} / ${on}`);
}

// A product manager designs a flow from a template of the library. A step
// nothing leads to, and a route around the approval, are refused in
// Chinese naming the step; the fixed flow is saved and offered to new
// sub-products.
test('a product manager designs a flow; a broken one is refused', async ({ browser }) => {
  const errors: string[] = [];
  const pm = await staffContext(browser, 'product1');
  watchConsole(pm.page, errors);
  const page = pm.page;
  await open(page, '/staff/products');
  const designer = page.getByTestId('flow-designer');
  await page.selectOption('#fd-from', 'reviewed');
  await page.fill('#fd-code', 'review_fast');
  await page.fill('#fd-name', '先审查后审批（加急）');

  // A step with no route to it.
  await designer.getByTestId('fd-add-node').click();
  await designer.getByTestId('fd-save').click();
  await expect(designer.getByRole('alert')).toContainText('任何申请都到不了环节');
  await designer.getByTestId('fd-node').last().getByRole('button').click();

  // The review passing straight to the paid-out end skips approval.
  const reviewPass = await route(page, 'review', 'pass');
  await reviewPass.locator('select').nth(3).selectOption('disbursed');
  await designer.getByTestId('fd-save').click();
  await expect(designer.getByRole('alert')).toContainText('不经审批');
  await expect(page.locator('#fd-name')).toHaveValue('先审查后审批（加急）');
  await shot(page, 'flow-01-refused');

  // Fixed: the review passes to the approval, and the due times are shorter.
  await reviewPass.locator('select').nth(3).selectOption('approval');
  // Routing by guarantee type: a flow that only knows what to do with
  // unsecured and guaranteed loans dead-ends a mortgage.
  await reviewPass.locator('select').nth(2).selectOption('guarantee_in');
  await reviewPass.getByTestId('fd-guarantee').nth(0).check();
  await reviewPass.getByTestId('fd-guarantee').nth(1).check();
  await designer.getByTestId('fd-preview').click();
  await expect(designer.getByTestId('flow-diagram')).toContainText('担保方式为信用、保证');
  await designer.getByTestId('fd-save').click();
  await expect(designer.getByRole('alert')).toContainText('走不通');
  await reviewPass.locator('select').nth(2).selectOption('always');
  await designer.getByTestId('fd-preview').click();
  await expect(designer.getByTestId('flow-diagram')).toContainText('审查');
  await designer.getByTestId('fd-save').click();
  await expect(page.locator('#pm-flow option', { hasText: '先审查后审批（加急）' })).toHaveCount(1);
  await shot(page, 'flow-02-saved');

  expect(errors).toEqual([]);
});
