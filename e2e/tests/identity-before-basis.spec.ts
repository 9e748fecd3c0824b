// Browser tests: the basis prompt shows whose record it is before any basis is asked (name,
// date of birth with age, gender, NHS number, address, registered GP practice, each source's
// answer), and a number no source that answered holds says so, naming any that could not say.
import { expect, test, type Page } from '@playwright/test';
import { wcagViolations } from './axe';
import { ids, tid } from './ids';
import { signInAsClinician } from './session';

/// Opens the demo patient whose label on the search page contains `label`.
async function lookUpDemoPatient(page: Page, label: string): Promise<string> {
  await page.goto('/');
  const item = page.locator(`${tid(ids.demoPatients)} li`, { hasText: label }).first();
  const link = item.locator('a');
  const nhs = (await link.innerText()).trim();
  await link.click();
  return nhs;
}

test.beforeEach(async ({ page }) => {
  await signInAsClinician(page);
});

test('the prompt shows whose record it is before the basis forms', async ({ page }) => {
  const nhs = await lookUpDemoPatient(page, 'known at all four sources');
  const identity = page.locator(tid(ids.identity));
  await expect(identity).toBeVisible();
  await expect(identity.getByRole('heading', { name: 'Check this is your patient' })).toBeVisible();
  await expect(identity.locator('[data-field="name"]')).toHaveText(/^[A-Z'’ -]+, .+ \(.+\)$/);
  await expect(identity.locator('[data-field="born"]')).toHaveText(/^\d{2}-[A-Z][a-z]{2}-\d{4} \(\d+y\)$/);
  await expect(identity.locator('[data-field="gender"]')).toHaveText(/^(Female|Male)$/);
  await expect(identity.locator('[data-field="nhs-number"]')).toHaveText(nhs);
  await expect(identity.locator('[data-field="address"]')).toHaveText(/^\d+ [A-Za-z ]+, [A-Za-z ]+, [A-Z0-9]+ [0-9][A-Z]{2}$/);
  await expect(identity.locator('[data-field="gp-practice"]')).toHaveText('Riverside Medical Practice (Y12345)');
  await expect(identity).toContainText('No clinical information has been read');
  await expect(identity.locator(`${tid(ids.identitySources)} li[data-answer="holds"]`)).toHaveCount(4);

  // The identity comes first on the page, the forms after it.
  const prompt = page.locator(tid(ids.basisPrompt));
  await expect(prompt.locator('[data-testid="basis-permission-given"]')).toBeVisible();
  const identityBox = await identity.boundingBox();
  const promptBox = await prompt.boundingBox();
  expect(identityBox && promptBox && identityBox.y < promptBox.y).toBeTruthy();
  await expect(page.locator(tid(ids.patientBanner))).toHaveCount(0);

  expect(await wcagViolations(page)).toEqual([]);
});

test('a disagreement about who this is is shown before any basis', async ({ page }) => {
  await lookUpDemoPatient(page, 'hospital records a different date of birth');
  const warnings = page.locator(tid(ids.identityWarnings));
  await expect(warnings).toContainText('different dates of birth');
  await expect(page.locator(tid(ids.basisPrompt))).toBeVisible();
});

test('a number no source that answered holds says so, and which source could not say', async ({ page }) => {
  const nhs = await lookUpDemoPatient(page, 'not known at any source');
  const panel = page.locator(tid(ids.identityNotHeld));
  await expect(panel).toContainText(`No record found for NHS number ${nhs}`);
  await expect(panel.locator('li[data-answer="not-held"]')).toHaveCount(4);
  // GP Connect answers PATIENT_NOT_FOUND for sensitive records too: never "not held".
  const practice = panel.locator('li[data-answer="failed"]');
  await expect(practice).toHaveCount(1);
  await expect(practice).toContainText('Harbourside Health Centre');
  await expect(practice).toContainText('though it may hold one');

  expect(await wcagViolations(page)).toEqual([]);
});

test("an objector's details are not shown before a basis", async ({ page }) => {
  await lookUpDemoPatient(page, 'has objected');
  const notShown = page.locator(tid(ids.identityNotShown));
  await expect(notShown).toContainText('details are not shown until you say why');
  await expect(page.locator(tid(ids.identity))).toHaveCount(0);
  await expect(page.locator(tid(ids.basisPrompt))).toBeVisible();
});
