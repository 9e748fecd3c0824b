// Browser tests: a clinician follows a "Trend" link from the record of the admitted showcase
// patient to the heart-rate chart (reference range band, a flagged high reading, the figures in
// a table), moves to the blood-pressure chart (two lines, two bands) and the temperature chart
// (a reading outside the range the source did not flag); a trend opened before any basis sends
// the clinician to the record page; the trend page passes an accessibility scan.
import { expect, test, type Page } from '@playwright/test';
import { wcagViolations } from './axe';
import { ids, tid } from './ids';
import { giveBasis, signInAsClinician } from './session';

const LABEL = 'acute admission with observations';

/// The NHS number (digits) of the vitals showcase patient, from the demo list.
async function vitalsPatient(page: Page): Promise<string> {
  await page.goto('/');
  const item = page.locator(`${tid(ids.demoPatients)} li`, { hasText: LABEL }).first();
  await expect(item).toBeVisible();
  return (await item.locator('a').innerText()).replace(/\s/g, '');
}

test('a trend opened before the basis sends the clinician to the record, then charts heart rate', async ({ page }) => {
  await signInAsClinician(page);
  const nhs = await vitalsPatient(page);

  // No basis yet: the trend page shows no data and links to the record page.
  await page.goto(`/record/trends?nhs=${nhs}&series=heart-rate`);
  const notice = page.locator(tid(ids.trendPage));
  await expect(notice).toContainText('Open the record first');
  await expect(page.locator(tid(ids.trendChart))).toHaveCount(0);
  await notice.getByRole('link', { name: 'Go to the record page' }).click();
  await giveBasis(page);
  await expect(page.locator(tid(ids.patientBanner))).toBeVisible();

  // A Trend link on a heart-rate row of the timeline.
  const row = page.locator(tid(ids.timelineRow), { hasText: 'Heart rate' }).first();
  await row.locator(tid(ids.trendLink)).click();
  await expect(page).toHaveURL(/\/record\/trends\?nhs=\d{10}&series=heart-rate/);
  await expect(page).toHaveTitle('Trend: Heart rate – Shared care record');
  await expect(page.getByRole('heading', { name: 'Trend: Heart rate' })).toBeVisible();

  const chart = page.locator(tid(ids.trendChart));
  await expect(chart).toHaveCount(1);
  const svg = chart.locator(tid(ids.trendSvg));
  await expect(svg).toHaveAttribute('role', 'img');
  await expect(svg).toHaveAttribute('aria-label', /Heart rate in \/min: 19 readings from .* flagged or outside the reference range/);
  await expect(chart.locator(tid(ids.trendRange))).toHaveCount(1);
  await expect(chart.locator(`${tid(ids.trendPoint)}[data-flag="H"]`).first()).toBeVisible();
  await expect(chart.locator(tid(ids.trendPoint))).toHaveCount(19);

  const rows = chart.locator(`${tid(ids.trendTable)} ${tid(ids.trendRow)}`);
  await expect(rows).toHaveCount(19);
  const oldest = rows.last();
  await expect(oldest).toHaveAttribute('data-flag', 'H');
  await expect(oldest).toContainText('51 to 90');
  await expect(oldest).toContainText("H: high (source's flag)");
  await expect(oldest).toContainText('/min');
  await expect(oldest.locator('td').first()).toHaveText(/^\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}$/);

  expect(await wcagViolations(page)).toEqual([]);

  // The patient's other series are offered; blood pressure draws two lines with two bands.
  const series = page.locator(tid(ids.trendSeries));
  await expect(series.getByRole('link', { name: 'Heart rate' })).toHaveAttribute('aria-current', 'page');
  await series.getByRole('link', { name: 'Blood pressure' }).click();
  await expect(page).toHaveURL(/series=blood-pressure/);
  const bp = page.locator(tid(ids.trendChart));
  await expect(bp.locator(tid(ids.trendRange))).toHaveCount(2);
  await expect(bp.locator(`${tid(ids.trendPoint)}[data-flag="L"]`).first()).toBeVisible();
  await expect(bp.locator(`${tid(ids.trendRow)}`, { hasText: 'Diastolic' }).first()).toBeVisible();
  expect(await wcagViolations(page)).toEqual([]);

  // Temperature: the hospital sends a range but no flag; the reading outside it is marked as
  // such, hollow, and worded as not flagged by the source.
  await page.locator(tid(ids.trendSeries)).getByRole('link', { name: 'Temperature' }).click();
  const temperature = page.locator(tid(ids.trendChart));
  await expect(temperature).toHaveAttribute('data-unit', '°C');
  await expect(temperature.locator(`${tid(ids.trendPoint)}[data-flag="outside"]`).first()).toBeVisible();
  await expect(temperature.locator(tid(ids.trendTable))).toContainText('not flagged by the source');
});

test('the trend page reads at 768 px wide', async ({ page }) => {
  await page.setViewportSize({ width: 768, height: 1024 });
  await signInAsClinician(page);
  const nhs = await vitalsPatient(page);
  await page.goto(`/record?nhs=${nhs}`);
  await giveBasis(page);
  await page.goto(`/record/trends?nhs=${nhs}&series=news2`);
  const svg = page.locator(tid(ids.trendSvg));
  await expect(svg).toBeVisible();
  const box = await svg.boundingBox();
  expect(box?.width ?? 0).toBeGreaterThan(600);
  expect(box?.width ?? 0).toBeLessThanOrEqual(768);
  // Nothing on the page is wider than the window.
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scrollWidth).toBeLessThanOrEqual(768);
  expect(await wcagViolations(page)).toEqual([]);
});
