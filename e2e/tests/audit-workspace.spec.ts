// Browser tests: the privacy officer's workspace as people use it (pick-lists in people's
// words, UK local times with their zone, active filters shown and removable, refusals named
// with their reason), at a 768 px wide screen without sideways scrolling; and no page of the
// portal (sign-in, lookup, search, record, trend, audit, reports, admin) breaks its own
// Content-Security-Policy: a style attribute, even an empty one, is logged as a violation.
import { expect, type Page, test } from '@playwright/test';
import { ids, tid } from './ids';
import { wcagViolations } from './axe';
import { giveBasis, signIn, signInAsClinician } from './session';

/// Records every Content-Security-Policy violation the page reports, as the browser reports it
/// (the `securitypolicyviolation` event) and as it logs it to the console.
function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Content-Security-Policy/i.test(message.text())) {
      violations.push(`${page.url()}: ${message.text()}`);
    }
  });
  return violations;
}

/// True when the page is wider than the window (the reader would have to scroll sideways).
async function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

test('no page of the portal breaks its Content-Security-Policy', async ({ browser }) => {
  const clinicianContext = await browser.newContext();
  const clinician = await clinicianContext.newPage();
  const violations = watchCsp(clinician);
  await clinician.goto('/signin');
  await signInAsClinician(clinician);
  await clinician.goto('/search');
  await expect(clinician.locator(tid(ids.searchForm))).toBeVisible();
  await clinician.goto('/');
  const vitals = clinician
    .locator(`${tid(ids.demoPatients)} li`, { hasText: 'acute admission with observations' })
    .first()
    .locator('a');
  const nhs = (await vitals.innerText()).replace(/\s/g, '');
  await vitals.click();
  await giveBasis(clinician);
  await expect(clinician.locator(tid(ids.patientBanner))).toBeVisible();
  await clinician.goto(`/record/trends?nhs=${nhs}&series=heart-rate`);
  await expect(clinician.locator(tid(ids.trendChart))).toBeVisible();
  await expect(clinician.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  await clinicianContext.close();

  const officerContext = await browser.newContext();
  const officer = await officerContext.newPage();
  const officerViolations = watchCsp(officer);
  await signIn(officer, 'privacy.officer', '/audit');
  for (const path of ['/audit', '/audit?search=1&outcome=refused', '/audit/reports', `/audit/patient?nhs=${nhs}`]) {
    await officer.goto(path);
    await expect(officer.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  }
  await expect(officer.locator(tid(ids.patientAccess))).toBeVisible();
  await officerContext.close();

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  const adminViolations = watchCsp(admin);
  await signIn(admin, 'ops.admin', '/admin');
  await expect(admin).toHaveURL(/\/admin$/);
  await expect(admin.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  await adminContext.close();

  expect([...violations, ...officerViolations, ...adminViolations]).toEqual([]);
});

test('an officer finds refusals by reason from pick-lists, in UK time, on a 768 px screen', async ({ browser }) => {
  // A clinician is refused the audit workspace: a refusal by role, with its reason.
  const clinicianContext = await browser.newContext();
  const clinician = await clinicianContext.newPage();
  await signInAsClinician(clinician);
  const refused = await clinician.goto('/audit');
  expect(refused?.status()).toBe(403);
  await clinicianContext.close();

  const officerContext = await browser.newContext({ viewport: { width: 768, height: 1024 } });
  const officer = await officerContext.newPage();
  await signIn(officer, 'privacy.officer', '/audit');
  await expect(officer.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  expect(await scrollsSideways(officer)).toBe(false);

  const search = officer.locator(tid(ids.auditSearch));
  await search.getByLabel('Role').selectOption({ label: 'A&E clinician' });
  await search.getByLabel('Outcome').selectOption({ label: 'Refused' });
  await search.getByLabel('Refusal reason').selectOption({ label: 'Role not permitted' });
  await expect(search.getByLabel('From (UK date)')).toHaveAttribute('type', 'date');
  await search.getByRole('button', { name: 'Search' }).click();
  await expect(officer).toHaveURL(/refusal=role/);

  const filters = officer.locator(tid(ids.auditFilters));
  await expect(filters).toContainText('Role: A&E clinician');
  await expect(filters).toContainText('Outcome: Refused');
  await expect(filters).toContainText('Refusal: Role not permitted');
  const row = officer.locator(`${tid(ids.auditRow)}[data-refusal="role"]`).first();
  await expect(row).toContainText('Refused: Role not permitted');
  await expect(row).toContainText('Dr Asha Patel');
  await expect(row.locator('summary')).toHaveText(/\d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} (GMT|BST)/);
  await row.locator('summary').click();
  await expect(row).toContainText('/audit needs the audit permission');
  // The full UTC time, to the millisecond where it has one, is in the detail.
  await expect(row).toContainText(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/);
  // The pick-lists show what is in force after the search.
  await expect(search.getByLabel('Refusal reason')).toHaveValue('role');
  expect(await scrollsSideways(officer)).toBe(false);
  expect(await wcagViolations(officer)).toEqual([]);

  // One filter removed, then all of them.
  await filters.getByRole('link', { name: 'Remove Refusal: Role not permitted' }).click();
  await expect(officer).not.toHaveURL(/refusal=/);
  await expect(officer.locator(tid(ids.auditFilters))).not.toContainText('Refusal:');
  await expect(officer.locator(tid(ids.auditFilters))).toContainText('Outcome: Refused');
  await officer.locator(tid(ids.auditFilters)).getByRole('link', { name: 'Clear all' }).click();
  await expect(officer.locator(tid(ids.auditFilters))).toHaveCount(0);

  // The reports count refusals by reason, and fit the screen too.
  await officer.goto('/audit/reports');
  await expect(officer.locator(tid(ids.refusals))).toContainText('Role not permitted');
  expect(await scrollsSideways(officer)).toBe(false);
  await officerContext.close();
});
