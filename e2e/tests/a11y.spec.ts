// Accessibility scans (@axe-core/playwright, WCAG 2.1 A and AA) of the pages the other specs do
// not scan: the lookup page, the demographic search page, and the dissent and
// consent-unknown pages. None may have a violation of any impact.
import { expect, test } from '@playwright/test';
import { ids, tid } from './ids';
import { wcagViolations } from './axe';
import { giveBasis, signInAsClinician } from './session';

test('the lookup and search pages have no accessibility violations', async ({ page }) => {
  await signInAsClinician(page);
  await page.goto('/');
  await expect(page.locator(tid(ids.demoPatients))).toBeVisible();
  expect(await wcagViolations(page)).toEqual([]);
  await page.goto('/search');
  await expect(page.locator(tid(ids.searchForm))).toBeVisible();
  expect(await wcagViolations(page)).toEqual([]);
});

test('the dissent and consent-unknown pages have no accessibility violations', async ({ page }) => {
  await signInAsClinician(page);
  for (const [label, shown] of [
    ['has objected to sharing', ids.dissent],
    ['cannot say whether they objected', ids.consentUnknown],
  ]) {
    await page.goto('/');
    await page.locator(`${tid(ids.demoPatients)} li`, { hasText: label }).first().locator('a').click();
    await giveBasis(page);
    await expect(page.locator(tid(shown))).toBeVisible();
    expect(await wcagViolations(page), label).toEqual([]);
  }
});
