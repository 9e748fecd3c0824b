// Signing in through the demo identity provider, as staff do: the portal's sign-in page, the
// provider's list of demo users, then (for staff with several roles) the role choice.
import { expect, type Page } from '@playwright/test';
import { ids, tid } from './ids';

/// Signs `login` in from a page that is not signed in; leaves the browser on the page after
/// sign-in (the role choice when the user holds several roles).
export async function signIn(page: Page, login: string, start = '/') {
  await page.goto(start);
  await expect(page).toHaveURL(/\/signin/);
  await page.locator(`${tid(ids.signInOptions)} a`).first().click();
  await page.locator(`[data-testid="demo-user-${login}"]`).click();
  await expect(page).not.toHaveURL(/demo-idp|auth\/callback/);
}

/// Signs in as an A&E clinician (one role), landing on the lookup page.
export async function signInAsClinician(page: Page) {
  await signIn(page, 'ae.clinician');
  await expect(page.locator(tid(ids.activeRole))).toContainText('A&E clinician');
}

/// Answers the legitimate-basis prompt on a record page (after hydration, as staff would use
/// it) and waits until the prompt has gone and the reloaded page is interactive.
export async function giveBasis(page: Page, code = 'permission-given', reason = '') {
  const form = page.locator(`[data-testid="basis-${code}"]`);
  await expect(form).toBeVisible();
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  if (reason) {
    await form.locator('textarea').fill(reason);
  }
  await form.getByRole('button').click();
  // The page is loaded again from the server once the basis is recorded: wait for that page
  // to be interactive too.
  await expect(page.locator(tid(ids.basisPrompt))).toHaveCount(0);
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
}

/// Opens the record of the demo patient whose label on the search page contains `label`,
/// giving the usual basis.
export async function openDemoRecord(page: Page, label: string) {
  await page.goto('/');
  const item = page.locator(`${tid(ids.demoPatients)} li`, { hasText: label }).first();
  await item.locator('a').click();
  await giveBasis(page);
  await expect(page.locator(tid(ids.patientBanner))).toBeVisible();
}
