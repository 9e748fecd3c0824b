// The README's screenshots, taken by the browser test run at 1280x800 from demo data. Every run
// writes them under test-results/screenshots/; `UPDATE_SCREENSHOTS=1` also writes them to
// docs/screenshots/ (commit those), so an ordinary test run never changes the work tree.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ids, tid } from './ids';
import { giveBasis, signInAsClinician } from './session';

const RUN_DIR = resolve(__dirname, '..', 'test-results', 'screenshots');
const DOCS_DIR = resolve(__dirname, '..', '..', 'docs', 'screenshots');

async function shoot(page: Page, name: string) {
  const dirs = process.env.UPDATE_SCREENSHOTS ? [RUN_DIR, DOCS_DIR] : [RUN_DIR];
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: resolve(dir, `${name}.png`) });
  }
}

async function openDemoPatient(page: Page, label: string) {
  await page.goto('/');
  const item = page.locator(`${tid(ids.demoPatients)} li`, { hasText: label }).first();
  await item.locator('a').click();
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
}

test.use({ viewport: { width: 1280, height: 800 } });

test('screenshots for the README', async ({ page }) => {
  await signInAsClinician(page);
  await page.goto('/');
  await expect(page.locator(tid(ids.demoPatients))).toBeVisible();
  await shoot(page, 'search');

  await openDemoPatient(page, 'end-of-life plan');
  await expect(page.locator(tid(ids.basisPrompt))).toBeVisible();
  await expect(page.locator(tid(ids.identity))).toBeVisible();
  await shoot(page, 'basis-prompt');

  await giveBasis(page);
  await expect(page.locator(tid(ids.summary))).toBeVisible();
  await page.locator(tid(ids.summary)).scrollIntoViewIfNeeded();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shoot(page, 'summary');

  // The first allergy's full detail, opened from its summary line.
  await page.locator(`${tid(ids.summary)} ${tid(ids.entryOpen)}`).first().click();
  await expect(page.locator(tid(ids.entryFields))).toBeVisible();
  await shoot(page, 'detail-panel');

  await openDemoPatient(page, 'acute admission with observations');
  await giveBasis(page);
  await page.locator(tid(ids.trendLink)).first().click();
  await expect(page.locator(tid(ids.trendChart)).first()).toBeVisible();
  await shoot(page, 'trend');
});
