// Browser tests: the entry panel. A clinician opens an entry with the keyboard alone, reads
// its fields and provenance, keeps focus inside the panel, closes it with Escape and lands
// back on the row. Narratives and notes carrying script-injection probes never run (no
// dialog, no global set) and the note's markup shows as text; an entry recorded in error is
// badged in the timeline and in the panel; the open panel passes an accessibility scan.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { wcagViolations } from './axe';
import { ids, tid } from './ids';
import { giveBasis, signInAsClinician } from './session';

const PROBE_NOTE = 'Hives within minutes of latex gloves. <script>alert(1)</script><b>not bold</b>';

/// Opens the record of the showcase patient with probing narratives and notes.
async function openNarrativesPatient(page: Page) {
  await page.goto('/');
  const item = page.locator(`${tid(ids.demoPatients)} li`, { hasText: 'narratives and notes' }).first();
  await item.locator('a').click();
  await giveBasis(page);
  await expect(page.locator(tid(ids.patientBanner))).toBeVisible();
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
}

/// The button that opens the timeline row whose title is `title`.
function rowOpener(page: Page, title: string): Locator {
  return page.locator(tid(ids.entryOpen), { hasText: title }).first();
}

/// Serious and critical accessibility violations only.
async function seriousViolations(page: Page): Promise<string[]> {
  return (await wcagViolations(page)).filter((v) => /\((serious|critical)\)/.test(v));
}

/// Records every dialog (alert, confirm, prompt) the page opens.
function watchDialogs(page: Page): string[] {
  const dialogs: string[] = [];
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  return dialogs;
}

async function xss(page: Page): Promise<unknown> {
  return page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);
}

test('an entry opens by keyboard, keeps focus inside, and Escape returns to the row', async ({ page }) => {
  const dialogs = watchDialogs(page);
  await signInAsClinician(page);
  await openNarrativesPatient(page);

  const opener = rowOpener(page, 'Latex allergy (gloves)');
  await opener.focus();
  await page.keyboard.press('Enter');

  const panel = page.getByRole('dialog', { name: 'Latex allergy (gloves)' });
  await expect(panel).toBeVisible();
  await expect(panel).toHaveAttribute('aria-modal', 'true');
  await expect(panel.getByRole('heading', { name: 'Latex allergy (gloves)' })).toBeFocused();

  const fields = panel.locator(tid(ids.entryFields));
  await expect(fields).toContainText('Criticality');
  await expect(fields).toContainText('Urticaria');
  await expect(fields).toContainText('Reaction: exposure route');
  const provenance = panel.locator(tid(ids.entryProvenance));
  await expect(provenance).toContainText('AllergyIntolerance/');
  await expect(provenance).toContainText(/\([A-Z0-9]{3,6}\)/); // the ODS code
  await expect(provenance).toContainText('(UTC)'); // when fetched

  // The note's markup is text, never obeyed.
  const notes = panel.locator(tid(ids.entryNotes));
  await expect(notes).toContainText(PROBE_NOTE);
  await expect(notes.locator('b, script')).toHaveCount(0);

  // Tab and Shift+Tab stay inside the panel.
  for (const key of ['Tab', 'Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
    await page.keyboard.press(key);
    expect(await panel.evaluate((el) => el.contains(document.activeElement)), key).toBe(true);
  }

  expect(await seriousViolations(page)).toEqual([]);

  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(opener).toBeFocused();

  // Space opens it too, and the Close button closes it, returning focus.
  await page.keyboard.press('Space');
  await expect(page.getByRole('dialog')).toBeVisible();
  await page.locator(tid(ids.entryPanelClose)).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(opener).toBeFocused();

  expect(await xss(page)).toBeUndefined();
  expect(dialogs).toEqual([]);
});

test('probing narratives show their text and never run', async ({ page }) => {
  const dialogs = watchDialogs(page);
  await signInAsClinician(page);
  await openNarrativesPatient(page);

  for (const title of ['Asthma since childhood', 'Emergency department attendance: wheeze']) {
    const opener = rowOpener(page, title);
    await opener.click();
    const panel = page.getByRole('dialog', { name: title });
    const narrative = panel.locator(tid(ids.entryNarrative));
    await expect(narrative).toContainText('Reviewed at the annual asthma clinic.');
    await expect(narrative.locator('b')).toHaveCount(1); // emphasis is kept
    await expect(
      narrative.locator('script, iframe, img, style, form, [style], [onerror], [onclick], a'),
    ).toHaveCount(0);
    // Give any probe time to fire.
    await page.waitForTimeout(1000);
    expect(await xss(page)).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await expect(panel).toHaveCount(0);
    await expect(opener).toBeFocused();
  }
});

test('an entry recorded in error never looks ordinary', async ({ page }) => {
  await signInAsClinician(page);
  await openNarrativesPatient(page);

  const row = page.locator(`${tid(ids.timelineRow)}[data-entered-in-error="true"]`);
  await expect(row).toHaveCount(1);
  await expect(row.locator(tid(ids.enteredInError))).toBeVisible();
  await expect(row.locator(tid(ids.enteredInError))).toHaveText(/entered in error/i);
  const opener = row.locator(tid(ids.entryOpen));
  await expect(opener).toHaveText('Allergy to aspirin');
  await expect(opener.locator('s')).toHaveCSS('text-decoration-line', 'line-through');

  await opener.click();
  const panel = page.getByRole('dialog', { name: 'Allergy to aspirin' });
  await expect(panel.locator(tid(ids.enteredInError))).toContainText('Entered in error');
  await expect(panel.locator(tid(ids.entryFields))).toContainText('entered-in-error');
  expect(await seriousViolations(page)).toEqual([]);
});
