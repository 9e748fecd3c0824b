// Browser tests: the audit and admin pages are left out of the clinicians' bundle. A clinician's
// pages load only the clinicians' bundle; the audit workspace loads the office bundle, reached
// from the lookup page by a full page load, and works there.
import { expect, type Page, test } from '@playwright/test';
import { ids, tid } from './ids';
import { signIn, signInAsClinician } from './session';

/// The bundle files (`/pkg/<stem>.<hash>.wasm`) the page asks for from now on.
function bundlesAsked(page: Page): string[] {
  const asked: string[] = [];
  page.on('request', (request) => {
    const name = new URL(request.url()).pathname.match(/^\/pkg\/(\w+)\.[0-9a-f]{16}\.wasm$/);
    if (name) asked.push(name[1]);
  });
  return asked;
}

test('a clinician looking up a record downloads the clinicians\' bundle only', async ({ page }) => {
  const asked = bundlesAsked(page);
  await signInAsClinician(page);
  const patient = page.locator(`${tid(ids.demoPatients)} li`, { hasText: 'GP only' }).first().locator('a');
  await patient.click();
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  expect(asked.length).toBeGreaterThan(0);
  expect(new Set(asked)).toEqual(new Set(['app']));
});

test('an officer reaches the audit workspace from the lookup page and it runs on the office bundle', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, 'privacy.officer');
  const asked = bundlesAsked(page);
  await page.locator(tid(ids.noAccess)).getByRole('link', { name: 'Open the audit workspace' }).click();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  expect(asked).toEqual(['office']);
  // The office bundle routes inside the workspace without another page load.
  await page.getByRole('link', { name: 'Access reports' }).click();
  await expect(page).toHaveURL(/\/audit\/reports$/);
  await expect(page.locator(tid(ids.accessReport))).toContainText('records opened');
  expect(asked).toEqual(['office']);
  expect(errors).toEqual([]);
});

test('a link into the audit pages followed inside the clinicians\' bundle loads the page from the server', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, 'privacy.officer');
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  const asked = bundlesAsked(page);
  // A plain link (no rel="external") on a clinician's page (Leptos islands, no client-side
  // router): the browser loads the page from the server, which sends it with the office bundle.
  await page.evaluate(() => {
    const a = document.createElement('a');
    a.href = '/audit/reports';
    a.textContent = 'reports';
    document.body.appendChild(a);
    a.click();
  });
  await expect(page).toHaveURL(/\/audit\/reports$/);
  await expect(page.locator(tid(ids.accessReport))).toContainText('records opened');
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  expect(asked).toEqual(['office']);
  expect(errors).toEqual([]);
});
