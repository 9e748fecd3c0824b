// Browser tests: signing in through the demo identity provider, choosing a role, what each
// role may open, the idle timeout and signing out.
import { expect, test } from '@playwright/test';
import { ids, tid } from './ids';
import { giveBasis, signIn } from './session';
import { shortSessionUrl } from '../playwright.config';

test('sign in, choose one of two roles, change it, sign out', async ({ page }) => {
  await signIn(page, 'locum.doctor', '/search');
  await expect(page).toHaveURL(/\/choose-role/);
  await expect(page.locator(tid(ids.activeRole))).toContainText('No role chosen');
  const choices = page.locator(`${tid(ids.roleChoices)} button`);
  await expect(choices).toHaveCount(2);
  await page.locator(`${tid(ids.roleChoices)} button[data-role="urgent-care-clinician"]`).click();

  // Back where sign-in started, acting in the chosen role.
  await expect(page).toHaveURL(/\/search$/);
  await expect(page.locator(tid(ids.currentUser))).toContainText('Dr Chris Lee');
  await expect(page.locator(tid(ids.activeRole))).toHaveText('Urgent care clinician at Y0111');

  await page.getByRole('link', { name: 'Change role' }).click();
  await page.locator(`${tid(ids.roleChoices)} button[data-role="ae-clinician"]`).click();
  await expect(page.locator(tid(ids.activeRole))).toHaveText('A&E clinician at RX1');

  await page.locator(tid(ids.signOut)).getByRole('button', { name: 'Sign out' }).click();
  await expect(page.locator(tid(ids.signedOut))).toBeVisible();
  await page.goto('/search');
  await expect(page).toHaveURL(/\/signin\?next=%2Fsearch/);
});

test('a call handler sees the limited summary only', async ({ page }) => {
  await signIn(page, 'call.handler');
  await expect(page.locator(tid(ids.activeRole))).toHaveText('Call handler at Y0111');
  const item = page.locator(`${tid(ids.demoPatients)} li`, { hasText: 'long history' }).first();
  await item.locator('a').click();
  // A call handler may only give the patient's permission.
  await expect(page.locator('[data-testid="basis-emergency"]')).toHaveCount(0);
  await giveBasis(page);
  await expect(page.locator(tid(ids.patientBanner))).toBeVisible();
  await expect(page.locator(tid(ids.limitedView))).toBeVisible();
  // What is withheld is one line, never broken down by source or kind.
  await expect(page.locator(tid(ids.limitedView))).toContainText('Some information is not shown for your role.');
  await expect(page.locator(tid(ids.withheld))).toHaveCount(0);
  const categories = await page
    .locator(tid(ids.timelineRow))
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-category')));
  expect(categories.length).toBeGreaterThan(0);
  for (const category of categories) {
    expect(['Allergy', 'Alert', 'CarePlan', 'Medication']).toContain(category);
  }
});

test('an audit officer cannot look patients up, in the page or by URL', async ({ page }) => {
  await signIn(page, 'privacy.officer');
  await expect(page.locator(tid(ids.noAccess))).toContainText('Audit officer');
  await expect(page.locator(tid(ids.nhsInput))).toHaveCount(0);
  const response = await page.goto('/record?nhs=9434765919');
  expect(response?.status()).toBe(403);
  await expect(page.getByTestId('refusal')).toContainText('does not allow this');
});

test('a user without a portal role is refused at sign-in', async ({ page }) => {
  await page.goto('/');
  await page.locator(`${tid(ids.signInOptions)} a`).first().click();
  await page.locator('[data-testid="demo-user-no.role"]').click();
  await expect(page.getByTestId('auth-page-title')).toHaveText('Sign-in did not complete');
  await expect(page.locator('main')).toContainText('no role in this portal');
});

test.describe('idle timeout', () => {
  test.use({ baseURL: shortSessionUrl });

  test('an idle session ends and the next page asks to sign in again', async ({ page }) => {
    await signIn(page, 'ae.clinician', '/search');
    await expect(page.locator(tid(ids.activeRole))).toContainText('A&E clinician');
    // Activity keeps the session alive...
    await page.waitForTimeout(2000);
    await page.goto('/search');
    await expect(page.locator(tid(ids.activeRole))).toContainText('A&E clinician');
    // ...idleness ends it (this portal's sessions end after 3 idle seconds).
    await page.waitForTimeout(3500);
    await page.goto('/search');
    await expect(page).toHaveURL(/\/signin\?next=%2Fsearch/);
  });
});
