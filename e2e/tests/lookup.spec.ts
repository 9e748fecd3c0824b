// Browser tests: a clinician looks patients up in demo mode and reads the merged record.
import { expect, test, type Page } from '@playwright/test';
import { ids, tid } from './ids';
import { giveBasis, signInAsClinician } from './session';

test.beforeEach(async ({ page }) => {
  await signInAsClinician(page);
});

const SOURCES = ['gp', 'acute', 'mental-health', 'social-care'];

/// The page has been hydrated once the wasm bundle has run the app's effects.
async function hydrated(page: Page) {
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
}

/// The NHS number of the demo patient whose label on the search page contains `label`.
async function demoPatient(page: Page, label: string): Promise<string> {
  await page.goto('/');
  const item = page.locator(`${tid(ids.demoPatients)} li`, { hasText: label }).first();
  await expect(item).toBeVisible();
  return (await item.locator('a').innerText()).trim();
}

async function lookUp(page: Page, nhsNumber: string) {
  await page.goto('/');
  await hydrated(page);
  await page.locator(tid(ids.nhsInput)).fill(nhsNumber);
  await page.getByRole('button', { name: 'Look up' }).click();
}

test('a clinician sees one timeline from all four sources and filters it by source', async ({ page }) => {
  const nhs = await demoPatient(page, 'all four sources');
  expect(nhs).toMatch(/^\d{3} \d{3} \d{4}$/);
  await lookUp(page, nhs);
  await giveBasis(page);

  await expect(page.locator(tid(ids.patientBanner))).toContainText(nhs);
  // Four FHIR R4 sources and the second practice, asked by GP Connect, where the patient is
  // not registered (their other records name the first practice).
  const cards = page.locator(`${tid(ids.sourceStatus)} li`);
  await expect(cards).toHaveCount(5);
  for (const id of SOURCES) {
    await expect(page.locator(`${tid(ids.sourceStatus)} li[data-source-id="${id}"]`)).toHaveAttribute('data-status', 'ok');
  }
  await expect(page.locator(`${tid(ids.sourceStatus)} li[data-source-id="gp-connect"]`)).toHaveAttribute('data-status', 'not-found');
  const rows = page.locator(tid(ids.timelineRow));
  for (const id of SOURCES) {
    await expect(page.locator(`${tid(ids.timelineRow)}[data-source-id="${id}"]`).first()).toBeVisible();
  }
  const total = await rows.count();

  // The filter only works once the wasm bundle has hydrated the page.
  await hydrated(page);
  const chip = page.locator(`${tid(ids.sourceFilter)}[data-source-id="mental-health"]`);
  await chip.click();
  await expect(chip).toHaveAttribute('aria-current', 'true');
  const chipCount = Number((await chip.innerText()).match(/\((\d+)\)/)?.[1]);
  await expect(rows).toHaveCount(chipCount);
  expect(chipCount).toBeGreaterThan(0);
  expect(chipCount).toBeLessThan(total);
  for (const source of await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-source-id')))) {
    expect(source).toBe('mental-health');
  }

  await page.locator(`${tid(ids.sourceFilter)}[data-source-id="all"]`).click();
  await expect(rows).toHaveCount(total);

  // Refresh asks the sources again and shows the same record.
  await page.getByRole('link', { name: 'Refresh from the sources' }).click();
  await expect(page).toHaveURL(/refresh=true/);
  await expect(page.locator(`${tid(ids.sourceStatus)} li[data-status="ok"]`)).toHaveCount(4);
  await expect(rows).toHaveCount(total);
});

test('an invalid NHS number gets a clear message and no record', async ({ page }) => {
  await lookUp(page, '987 654 4321');
  const error = page.locator(tid(ids.lookupError));
  await expect(error).toContainText('is not a valid NHS number');
  await expect(error).toContainText('No source was asked.');
  await expect(page.locator(tid(ids.patientBanner))).toHaveCount(0);
});

test('an unknown patient shows no record found with each source answer', async ({ page }) => {
  const nhs = await demoPatient(page, 'not known at any source');
  await lookUp(page, nhs);
  // Said before any basis is asked (identity before the basis). The GP Connect practice cannot
  // say whether it holds a record (GP Connect answers every such number PATIENT_NOT_FOUND), so
  // the page says a record may exist there and still offers the basis.
  const panel = page.locator(tid(ids.identityNotHeld));
  await expect(panel).toContainText('No record found');
  await expect(panel.locator('li[data-answer="not-held"]')).toHaveCount(4);
  await expect(panel.locator('li[data-answer="failed"]')).toContainText('could not return a GP record');
  await expect(panel).toContainText('1 source could not be asked, so a record may still exist there');
});

test('a failing source shows as failed while the others still show', async ({ page }) => {
  const nhs = await demoPatient(page, 'HTTP 500');
  await lookUp(page, nhs);
  await giveBasis(page);
  await expect(page.locator(tid(ids.patientBanner))).toBeVisible();
  const failed = page.locator(`${tid(ids.sourceStatus)} li[data-status="error"]`);
  await expect(failed).toHaveCount(1);
  await expect(failed).toContainText('Failed');
  const failedId = await failed.getAttribute('data-source-id');
  await expect(page.locator(`${tid(ids.sourceStatus)} li[data-status="ok"]`)).toHaveCount(3);
  await expect(page.locator(`${tid(ids.timelineRow)}[data-source-id="${failedId}"]`)).toHaveCount(0);
  await expect(page.locator(tid(ids.timelineRow)).first()).toBeVisible();
});
