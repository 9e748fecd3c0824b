// Browser tests: while the sources are asked, each source's card says how it answered as soon
// as it has, and nothing clinical appears until the slowest source (the demo's mental-health
// source takes 2.5 s for one showcase patient) has answered: an objection held there must
// still stop the view. Then the record replaces the cards with its own per-source statuses.
import { expect, test, type Page } from '@playwright/test';
import { wcagViolations } from './axe';
import { ids, tid } from './ids';
import { giveBasis, signInAsClinician } from './session';

async function lookUpDemoPatient(page: Page, label: string): Promise<string> {
  await page.goto('/');
  const link = page.locator(`${tid(ids.demoPatients)} li`, { hasText: label }).first().locator('a');
  const nhs = (await link.innerText()).trim();
  await link.click();
  return nhs.replace(/ /g, '');
}

const answer = (page: Page, source: string) =>
  page.locator(`${tid(ids.progressAnswer)}[data-source-id="${source}"]`);

test('each source shows as it answers, and no entry before the slowest has answered', async ({ page }) => {
  await signInAsClinician(page);
  const nhs = await lookUpDemoPatient(page, 'mental-health source takes');
  await giveBasis(page);
  await expect(page.locator(tid(ids.timelineRow)).first()).toBeVisible();

  // A fresh page from the server, asking every source again.
  await page.goto(`/record?nhs=${nhs}&refresh=true`, { waitUntil: 'commit' });
  for (const fast of ['gp', 'acute', 'social-care']) {
    await expect(answer(page, fast)).toHaveAttribute('data-answer', 'answered');
  }
  // The slow source is still being asked, and nothing about the patient's care is shown yet.
  await expect(answer(page, 'mental-health')).toHaveAttribute('data-answer', 'asking');
  await expect(page.locator(tid(ids.lookupProgress))).toBeVisible();
  for (const clinical of [ids.timelineRow, ids.summary, ids.patientBanner, ids.lookupDone]) {
    await expect(page.locator(tid(clinical))).toHaveCount(0);
  }
  expect(await wcagViolations(page, tid(ids.lookupProgress))).toEqual([]);

  // Then the record; the cards give way to the record's own per-source statuses.
  await expect(page.locator(tid(ids.timelineRow)).first()).toBeVisible({ timeout: 15_000 });
  await expect(page.locator(tid(ids.lookupProgress))).toBeHidden();
  const status = page.locator(`${tid(ids.sourceStatus)} li[data-source-id="mental-health"]`);
  await expect(status).toHaveAttribute('data-status', 'ok');

  // The record's islands came with it, after the page had started: they are hydrated once the
  // whole page has arrived, so a row still opens the entry panel.
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  await page.locator(tid(ids.entryOpen)).first().click();
  await expect(page.locator(tid(ids.entryPanel))).toBeVisible();
});
