// Browser tests: a record of 3,000 readings shows a page of the timeline at a time, grouped by
// day, with a few hundred rows in the page at most; the filters (used from the keyboard) and
// the pages find an entry on the oldest page, say what is in force, and clear.
import { expect, test, type Page } from '@playwright/test';
import { wcagViolations } from './axe';
import { ids, tid } from './ids';
import { giveBasis, signInAsClinician } from './session';

async function lookUpDemoPatient(page: Page, label: string) {
  await page.goto('/');
  await page.locator(`${tid(ids.demoPatients)} li`, { hasText: label }).first().locator('a').click();
}

const rows = (page: Page) => page.locator(tid(ids.timelineRow));
const count = (page: Page) => page.locator(tid(ids.timelineCount));

/// No more than a few hundred table rows anywhere in the page.
async function fewRows(page: Page) {
  expect(await rows(page).count()).toBeLessThanOrEqual(100);
  expect(await page.locator('tr').count()).toBeLessThanOrEqual(300);
}

test('a record of 3,000 readings is paged, and the filters find its oldest entry', async ({ page }) => {
  await signInAsClinician(page);
  await lookUpDemoPatient(page, '3,000 glucose readings');
  await giveBasis(page);
  await expect(rows(page).first()).toBeVisible();
  await expect(count(page)).toContainText(/Showing 1–100 of 3,\d{3} entries/);
  await fewRows(page);
  await expect(page.locator(tid(ids.timelineDay)).first()).toBeVisible();
  const total = (await count(page).innerText()).match(/of ([\d,]+) entries/)?.[1];

  // The oldest page, from the keyboard.
  const pager = page.locator(tid(ids.timelinePager));
  await pager.getByRole('link', { name: 'Oldest' }).focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/page=\d+.*#timeline$/);
  await expect(pager).toContainText(/Page (\d+) of \1/);
  // The page loaded opens at the timeline, which has focus: the clinician stays at the
  // entries, not at the top of the record.
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  await expect(page.locator('section#timeline')).toBeFocused();
  await expect(page.locator('section#timeline')).toBeInViewport();
  await fewRows(page);
  const oldest = rows(page).last();
  const title = (await oldest.locator('td').nth(2).innerText()).split(/\s+/)[0];
  const source = await oldest.getAttribute('data-source-id');
  const day = await page.locator(tid(ids.timelineDay)).last().getAttribute('data-day');
  expect(day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  const oldestId = await oldest.getAttribute('data-entry');

  // Back to the newest, then filter by that day: the oldest entry is found.
  await pager.getByRole('link', { name: 'Newest' }).click();
  await expect(count(page)).toContainText('Showing 1–100');
  await page.locator(tid(ids.dateFrom)).fill(day!);
  await page.locator(tid(ids.dateTo)).fill(day!);
  await page.locator(tid(ids.dateTo)).press('Enter');
  await expect(page).toHaveURL(new RegExp(`from=${day}&to=${day}`));
  await expect(page.locator(`${tid(ids.timelineRow)}[data-entry="${oldestId}"]`)).toBeVisible();
  await expect(count(page)).toContainText('match the filters');
  const active = page.locator(tid(ids.activeFilters));
  await expect(active).toContainText('From');
  await expect(active).toContainText('To');
  await fewRows(page);

  // Words and a source as well: still found, and every filter is listed.
  const search = page.locator(tid(ids.timelineSearch));
  await search.fill(title.toUpperCase());
  await search.press('Enter');
  await expect(page).toHaveURL(/q=/);
  await page.locator(`${tid(ids.sourceFilter)}[data-source-id="${source}"]`).click();
  await expect(page).toHaveURL(new RegExp(`source=${source}`));
  await expect(page.locator(`${tid(ids.timelineRow)}[data-entry="${oldestId}"]`)).toBeVisible();
  await expect(active).toContainText(`Words: “${title.toUpperCase()}”`);
  await expect(active.locator('li')).toHaveCount(4);
  expect(await wcagViolations(page, 'main')).toEqual([]);

  // Each filter can be removed alone, and all at once.
  await active.getByRole('link', { name: /Remove filter Words/ }).click();
  await expect(active.locator('li')).toHaveCount(3);
  await expect(search).toHaveValue('');
  await page.locator(tid(ids.clearFilters)).click();
  await expect(active).toHaveCount(0);
  await expect(count(page)).toContainText(`Showing 1–100 of ${total} entries`);
  await fewRows(page);
});

test('a filter that matches nothing says so, never an empty record', async ({ page }) => {
  await signInAsClinician(page);
  await lookUpDemoPatient(page, '3,000 glucose readings');
  await giveBasis(page);
  const search = page.locator(tid(ids.timelineSearch));
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  await search.fill('no such words anywhere');
  await search.press('Enter');
  await expect(count(page)).toContainText('No entries match the filters');
  await expect(rows(page)).toHaveCount(0);
  await expect(page.locator(tid(ids.clearFilters))).toBeVisible();
  // The summary above is the whole record's, whatever the timeline's filters.
  await expect(page.locator(tid(ids.summary))).toBeVisible();
});
