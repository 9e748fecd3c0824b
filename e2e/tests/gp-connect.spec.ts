// Browser tests (issue 20): a GP record read by GP Connect Access Record: Structured (STU3)
// merged with the FHIR R4 sources, the practice and usual GP in the banner, and each answer
// GP Connect defines (dissent, a record the practice cannot return, no known allergies) shown
// as it means, never as "nothing recorded".
import { expect, test, type Page } from '@playwright/test';
import { wcagViolations } from './axe';
import { ids, tid } from './ids';
import { openDemoRecord, signInAsClinician } from './session';

test.beforeEach(async ({ page }) => {
  await signInAsClinician(page);
});

const card = (page: Page, id: string) => page.locator(`${tid(ids.sourceStatus)} li[data-source-id="${id}"]`);
const allergyBadge = (page: Page) => page.locator(tid(ids.bannerBadges)).locator('[data-badge="allergies"]');

test('a GP Connect record is merged with the R4 sources, with the practice and usual GP in the banner', async ({ page }) => {
  await openDemoRecord(page, 'GP Connect practice: full structured record');

  await expect(page.locator(tid(ids.gpPractice))).toHaveText('Harbourside Health Centre (Y54321)');
  await expect(page.locator(tid(ids.usualGp))).toHaveText('Dr Anika RAHMAN');

  // The practice answered, saying what it did not share; the R4 GP does not hold them.
  await expect(card(page, 'gp-connect')).toHaveAttribute('data-status', 'partial');
  await expect(card(page, 'gp-connect')).toContainText('marked confidential');
  await expect(card(page, 'gp')).toHaveAttribute('data-status', 'not-found');
  for (const id of ['gp-connect', 'acute', 'social-care']) {
    await expect(page.locator(`${tid(ids.timelineRow)}[data-source-id="${id}"]`).first()).toBeVisible();
  }
  // The summary draws on the STU3 record too: a current allergy, current medicines, problems.
  await expect(allergyBadge(page)).toHaveText(/^\d+ allerg(y|ies)$/);
  for (const section of ['allergies', 'medicines', 'problems']) {
    const lines = page.locator(`${tid(ids.summarySection)}[data-section="${section}"] ${tid(ids.summaryLine)}`);
    await expect(lines.first()).toBeVisible();
  }

  expect(await wcagViolations(page)).toEqual([]);
});

test("a patient's dissent at the practice withholds its record only, and says so", async ({ page }) => {
  await openDemoRecord(page, 'GP Connect practice: patient dissented');
  await expect(card(page, 'gp-connect')).toHaveAttribute('data-status', 'withheld');
  await expect(card(page, 'gp-connect')).toContainText("Withheld at the patient's request");
  await expect(page.locator(`${tid(ids.timelineRow)}[data-source-id="gp-connect"]`)).toHaveCount(0);
  await expect(page.locator(`${tid(ids.timelineRow)}[data-source-id="acute"]`).first()).toBeVisible();
  // Never "none recorded": the practice's allergies are unknown.
  await expect(allergyBadge(page)).toContainText('Harbourside Health Centre');

  expect(await wcagViolations(page)).toEqual([]);
});

test('a record the practice cannot return is unavailable, never empty', async ({ page }) => {
  await openDemoRecord(page, 'GP Connect practice: sensitive record');
  await expect(card(page, 'gp-connect')).toHaveAttribute('data-status', 'unavailable');
  await expect(card(page, 'gp-connect')).toContainText('Record unavailable');
  await expect(card(page, 'gp-connect')).toContainText('does not mean nothing is recorded');
  await expect(allergyBadge(page)).toContainText('Allergies unknown');
});

test('no known allergies recorded at the practice is said as such, not counted as an allergy', async ({ page }) => {
  await openDemoRecord(page, 'GP Connect practice: no known allergies');
  await expect(allergyBadge(page)).toHaveText('No known allergies (recorded)');
});
