// Browser tests: the legitimate-basis prompt, the emergency reason requirement, a dissenting
// patient's page with the emergency route, and the markers for withheld items.
import { expect, test, type Page } from '@playwright/test';
import { ids, tid } from './ids';
import { giveBasis, signIn, signInAsClinician } from './session';

const REASON = 'Unconscious after a fall, no one with them to ask';

/// Opens the record of the demo patient whose label on the search page contains `label`, up to
/// the point where the portal asks why.
async function lookUpDemoPatient(page: Page, label: string) {
  await page.goto('/');
  const item = page.locator(`${tid(ids.demoPatients)} li`, { hasText: label }).first();
  await item.locator('a').click();
  await expect(page.locator(tid(ids.basisPrompt))).toBeVisible();
}

test('a record opens only after the clinician says why', async ({ page }) => {
  await signInAsClinician(page);
  await lookUpDemoPatient(page, 'GP only');
  const prompt = page.locator(tid(ids.basisPrompt));
  await expect(prompt).toContainText('Why are you opening this record?');
  await expect(prompt.locator('[data-testid="basis-permission-given"]')).toBeVisible();
  await expect(prompt.locator('[data-testid="basis-emergency"]')).toBeVisible();
  await expect(page.locator(tid(ids.patientBanner))).toHaveCount(0);

  await giveBasis(page);
  await expect(page.locator(tid(ids.patientBanner))).toBeVisible();
  await expect(page.locator(tid(ids.basisBanner))).toContainText("Opened with the patient's permission");

  // The answer lasts for this patient in this session: coming back does not ask again.
  await page.reload();
  await expect(page.locator(tid(ids.patientBanner))).toBeVisible();
  await expect(page.locator(tid(ids.basisPrompt))).toHaveCount(0);
});

test('emergency access needs a written reason and says it will be reviewed', async ({ page }) => {
  await signInAsClinician(page);
  await lookUpDemoPatient(page, 'GP and acute hospital only');
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  const emergency = page.locator('[data-testid="basis-emergency"]');
  await emergency.locator('textarea').fill('unconscious');
  await emergency.getByRole('button', { name: 'Open in an emergency' }).click();
  await expect(page.locator(tid(ids.basisRefused))).toContainText('at least 20 characters');
  await expect(page.locator(tid(ids.patientBanner))).toHaveCount(0);

  await giveBasis(page, 'emergency', REASON);
  const banner = page.locator(tid(ids.basisBanner));
  await expect(banner).toContainText('Emergency access');
  await expect(banner).toContainText(REASON);
  await expect(banner).toContainText('will be reviewed');
});

test('a patient who has objected to sharing gets the dissent page, with the emergency route for clinicians', async ({ page }) => {
  await signInAsClinician(page);
  await lookUpDemoPatient(page, 'has objected');
  await giveBasis(page);
  const dissent = page.locator(tid(ids.dissent));
  await expect(dissent).toContainText('asked for their record not to be shared');
  await expect(dissent).toContainText('Riverside Medical Practice (Y12345)');
  await expect(page.locator(tid(ids.timelineRow))).toHaveCount(0);

  await giveBasis(page, 'emergency', REASON);
  await expect(page.locator(tid(ids.dissent))).toHaveCount(0);
  await expect(page.locator(tid(ids.patientBanner))).toBeVisible();
  await expect(page.locator(tid(ids.basisBanner))).toContainText('Emergency access');
});

test('when the GP cannot say whether the patient objected, the record opens only in an emergency', async ({ page }) => {
  await signInAsClinician(page);
  await lookUpDemoPatient(page, 'the GP cannot say');
  await giveBasis(page);
  const unknown = page.locator(tid(ids.consentUnknown));
  await expect(unknown).toContainText("wishes about sharing could not be checked");
  await expect(unknown).toContainText('Riverside Medical Practice (Y12345): its consent records could not be read');
  await expect(page.locator(tid(ids.timelineRow))).toHaveCount(0);
  await expect(page.locator(tid(ids.patientBanner))).toHaveCount(0);

  await giveBasis(page, 'emergency', REASON);
  await expect(page.locator(tid(ids.consentUnknown))).toHaveCount(0);
  await expect(page.locator(tid(ids.patientBanner))).toBeVisible();
  await expect(page.locator(tid(ids.recordWarnings))).toContainText('could not be checked');
});

test('a call handler meets the dissent page with no emergency route', async ({ page }) => {
  await signIn(page, 'call.handler');
  await lookUpDemoPatient(page, 'has objected');
  await giveBasis(page);
  const dissent = page.locator(tid(ids.dissent));
  await expect(dissent).toContainText('Your role cannot override');
  await expect(dissent.locator('[data-testid="basis-emergency"]')).toHaveCount(0);
});

test('withheld items are counted where they would have been', async ({ page }) => {
  await signInAsClinician(page);
  await lookUpDemoPatient(page, 'items labelled');
  await giveBasis(page);
  const withheld = page.locator(tid(ids.withheld));
  await expect(withheld).toContainText('2 items withheld');
  await expect(withheld).toContainText('very restricted');
  await expect(withheld).toContainText('sensitive information: not shown in the shared record');
  // The list's name would tell the diagnosis: it is never shown.
  await expect(withheld).not.toContainText('sexual health');
  const markers = page.locator(tid(ids.withheldRow));
  await expect(markers).toHaveCount(2);
  await expect(page.locator(tid(ids.timelineRow), { hasText: 'Gonorrhoea' })).toHaveCount(0);
  await expect(page.locator(tid(ids.timelineRow), { hasText: 'Chlamydial infection' })).toHaveCount(1);

  // Filtering by source keeps each marker with its source.
  await page.locator(`${tid(ids.sourceFilter)}[data-source-id="gp"]`).click();
  await expect(markers).toHaveCount(1);
  await expect(markers).toContainText('very restricted');
});

test('a child on a protection plan shows the child-protection banner above the record', async ({ page }) => {
  await signInAsClinician(page);
  await lookUpDemoPatient(page, 'child on a child protection plan');
  await giveBasis(page);
  const banner = page.locator(tid(ids.childProtection));
  await expect(banner).toContainText('Child protection plan');
  await expect(banner).toContainText('notifies the responsible organisation');
  // It comes before the patient banner.
  const order = await page.evaluate(() => {
    const cp = document.querySelector('[data-testid="child-protection"]');
    const patient = document.querySelector('[data-testid="patient-banner"]');
    return cp && patient ? cp.compareDocumentPosition(patient) & Node.DOCUMENT_POSITION_FOLLOWING : 0;
  });
  expect(order).toBeTruthy();
});
