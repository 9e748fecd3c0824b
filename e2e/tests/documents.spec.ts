// Browser tests: a clinician opens a hospital letter from the record page. The letter's text
// is shown in the portal; none of the script-injection probes in its HTML runs (no dialog, no
// global set); the plain-text note shows its markup as text; the document page passes an
// accessibility scan.
import { expect, test, type Page } from '@playwright/test';
import { wcagViolations } from './axe';
import { ids, tid } from './ids';
import { giveBasis, signInAsClinician } from './session';

/// Opens the record of the showcase patient with hospital letters.
async function openLettersPatient(page: Page) {
  await page.goto('/');
  const item = page.locator(`${tid(ids.demoPatients)} li`, { hasText: 'hospital letters' }).first();
  await item.locator('a').click();
  await giveBasis(page);
  await expect(page.locator(tid(ids.patientBanner))).toBeVisible();
}

test('a letter opens in the portal with its text, and its scripts never run', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  await signInAsClinician(page);
  await openLettersPatient(page);

  const attachments = page.locator(tid(ids.attachments)).filter({ hasText: 'Clinic letter (letter)' });
  await expect(attachments).toContainText('Dictation');
  await expect(attachments).toContainText('cannot be shown here');
  await attachments.locator(tid(ids.documentLink), { hasText: 'Clinic letter (letter)' }).click();

  const content = page.locator('[data-testid="document-content"]');
  await expect(content).toContainText('chronic obstructive pulmonary disease');
  await expect(content).toContainText('Tiotropium inhaler');
  await expect(content.locator('table')).toBeVisible();
  await expect(page.locator('[data-testid="document-title"]')).toContainText('Report of clinical encounter');
  // Give any probe time to fire (onerror, onload, javascript: frames).
  await page.waitForLoadState('load');
  await page.waitForTimeout(1000);
  expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  expect(dialogs).toEqual([]);
  await expect(page.locator('script, iframe, img, svg, form, [style], [onerror], [onclick]')).toHaveCount(0);
  await expect(page.locator('a[href^="javascript:"]')).toHaveCount(0);

  expect(await wcagViolations(page)).toEqual([]);

  // The text note: markup in it is shown as text, not obeyed.
  await page.goBack();
  await page.locator(tid(ids.documentLink), { hasText: 'Telephone advice note' }).click();
  await expect(page.locator('[data-testid="document-content"]')).toContainText('<b>not bold</b>');
  expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  expect(dialogs).toEqual([]);
});

test('a copy held at another address is refused with a message', async ({ page }) => {
  await signInAsClinician(page);
  await openLettersPatient(page);
  await page.locator(tid(ids.documentLink), { hasText: 'Copy held elsewhere' }).click();
  await expect(page.locator('[data-testid="document-refusal"]')).toContainText(
    'stored outside the organisation',
  );
  expect(await wcagViolations(page)).toEqual([]);
});
