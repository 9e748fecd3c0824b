// Browser tests: what the merged record shows when sources overlap or disagree, and finding a
// patient without their NHS number.
import { expect, test, type Page } from '@playwright/test';
import { ids, tid } from './ids';
import { openDemoRecord, signInAsClinician } from './session';

test.beforeEach(async ({ page }) => {
  await signInAsClinician(page);
});

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

test('an item recorded at GP and hospital is shown once, with the stopped medicine flagged', async ({ page }) => {
  await openDemoRecord(page, 'same allergy');
  const flag = page.locator(tid(ids.discrepancy)).first();
  await expect(flag).toContainText('stopped at Northgate Hospitals NHS Trust');
  await expect(flag).toContainText('still active at Riverside Medical Practice');
  await expect(page.locator(tid(ids.alsoRecordedAt)).first()).toContainText('Also recorded at');
});

test('sources disagreeing about the date of birth raise a warning above the record', async ({ page }) => {
  await openDemoRecord(page, 'different date of birth');
  const warnings = page.locator(tid(ids.recordWarnings));
  await expect(warnings).toContainText('Check this is the right patient');
  await expect(warnings).toContainText('Sources give different dates of birth');
});

test('a patient without their NHS number is found by family name and date of birth', async ({ page }) => {
  await openDemoRecord(page, 'known at all four sources');
  const banner = page.locator(tid(ids.patientBanner));
  const name = await banner.locator('h1').innerText();
  const family = name.split(',')[0].trim();
  const born = (await banner.locator('dd').first().innerText()).trim().split(' ')[0]; // 14-Jul-1945 (81y)
  const [day, month, year] = born.split('-');
  const isoBorn = `${year}-${String(MONTHS.indexOf(month) + 1).padStart(2, '0')}-${day}`;
  const nhs = (await banner.locator('dd.font-mono').innerText()).trim();

  await page.goto('/');
  await page.getByText('No NHS number? Search by name and date of birth').click();
  const form = page.locator(tid(ids.searchForm));
  await form.getByLabel('Family name').fill(family);
  await form.getByLabel('Date of birth').fill(isoBorn);
  await form.getByRole('button', { name: 'Search' }).click();

  const match = page.locator(tid(ids.patientMatch), { hasText: nhs });
  await expect(match).toBeVisible();
  await expect(match).toContainText('Held by Riverside Medical Practice');
  await match.getByRole('link', { name: `Open record ${nhs}` }).click();
  await expect(page.locator(tid(ids.patientBanner))).toContainText(nhs);
});

test('an incomplete search says what is missing and asks no source', async ({ page }) => {
  await page.goto('/search?family=Smith&birthdate=');
  await expect(page.locator(tid(ids.lookupError))).toContainText("Enter the patient's full date of birth");
});
