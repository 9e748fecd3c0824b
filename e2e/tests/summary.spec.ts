// Browser tests: the A&E clinician's first screen. The banner in NHS display form with its
// badges, the summary sections in order, "unknown" (never "none recorded") when the GP could
// not be read, the call handler's one-line withheld notice, the cache and time-zone wording,
// the skip link, focus, titles, the NHS-number shortcut, narrow screens and printing.
import { expect, test, type Page } from '@playwright/test';
import { ids, tid } from './ids';
import { wcagViolations } from './axe';
import { giveBasis, signIn, signInAsClinician } from './session';

const REASON = 'Collapsed in the department, unable to give history';

/// Opens the demo patient whose label contains `label`, up to the basis prompt (or the
/// consent-unknown page when a source that holds objections fails).
async function openDemoPatient(page: Page, label: string) {
  await page.goto('/');
  const item = page.locator(`${tid(ids.demoPatients)} li`, { hasText: label }).first();
  await item.locator('a').click();
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
}

async function sectionOrder(page: Page): Promise<(string | null)[]> {
  return page
    .locator(tid(ids.summarySection))
    .evaluateAll((sections) => sections.map((s) => s.getAttribute('data-section')));
}

test('the banner and the summary answer the first questions, in order', async ({ page }) => {
  await signInAsClinician(page);
  await openDemoPatient(page, 'same allergy, problem and medicine');
  await giveBasis(page);

  const banner = page.locator(tid(ids.patientBanner));
  // The record heading has focus once the record loads.
  await expect(page.locator(tid(ids.recordHeading))).toBeFocused();
  await expect(banner.locator('h1')).toHaveText(/^[A-Z' -]+, [A-Za-z]+( \([A-Za-z]+\))?$/);
  await expect(banner).toContainText(/Born\s*\d{2}-[A-Z][a-z]{2}-\d{4} \(\d+y\)/);
  await expect(banner).toContainText(/GP practice\s*Riverside Medical Practice \(Y12345\)/);
  // The address is behind a toggle.
  const address = banner.locator('details');
  await expect(address.locator('p')).toBeHidden();
  await address.locator('summary').click();
  await expect(address.locator('p')).toContainText(/[A-Z]{1,2}\d/);
  await expect(banner).toContainText(/NHS No\.\s*\d{3} \d{3} \d{4}/);

  expect(await sectionOrder(page)).toEqual([
    'allergies',
    'medicines',
    'problems',
    'alerts',
    'care-plans',
    'attendances',
  ]);
  const allergies = page.locator(`${tid(ids.summarySection)}[data-section="allergies"]`);
  await expect(allergies.locator(tid(ids.summaryLine))).toHaveCount(1);
  // Recorded at the GP and the hospital: one line naming both.
  await expect(allergies.locator(tid(ids.summaryLine))).toContainText(' · ');
  await expect(page.locator(tid(ids.bannerBadges)).locator('[data-badge="allergies"]')).toHaveText('1 allergy');

  // The medicine the GP still issues and the hospital stopped: one line, both statuses, the
  // discrepancy stated.
  const medicines = page.locator(`${tid(ids.summarySection)}[data-section="medicines"]`);
  const both = medicines.locator(tid(ids.summaryLine), { hasText: 'stopped' });
  await expect(both).toHaveCount(1);
  await expect(both).toContainText('active');
  await expect(both.locator(tid(ids.discrepancy))).toBeVisible();

  // A summary line opens the entry's full detail, by keyboard; Escape returns focus to it.
  const open = allergies.locator(tid(ids.entryOpen)).first();
  await open.focus();
  await page.keyboard.press('Enter');
  await expect(page.locator(tid(ids.entryFields))).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.locator(tid(ids.entryPanel))).toBeHidden();
  await expect(open).toBeFocused();

  const problems = page.locator(`${tid(ids.summarySection)}[data-section="problems"]`);
  await expect(problems).toContainText('Atrial fibrillation');
  // Every source answered: empty sections say so plainly.
  const alerts = page.locator(`${tid(ids.summarySection)}[data-section="alerts"]`);
  await expect(alerts.locator(tid(ids.summaryEmpty))).toHaveText('None recorded.');

  await expect(page.locator(tid(ids.timesNote))).toContainText(/Times are UK time \((GMT|BST) now/);
  // Page titles name the page, never the patient.
  await expect(page).toHaveTitle('Patient record – Shared care record');
  expect(await wcagViolations(page)).toEqual([]);
});

test('allergies are unknown, never none, when the GP could not be read', async ({ page }) => {
  await signInAsClinician(page);
  await openDemoPatient(page, 'GP practice fails');
  await giveBasis(page);
  // The GP holds the patient's wishes too: they could not be checked, so only the
  // emergency route opens the record.
  await expect(page.locator(tid(ids.consentUnknown))).toBeVisible();
  await giveBasis(page, 'emergency', REASON);

  const allergies = page.locator(`${tid(ids.summarySection)}[data-section="allergies"]`);
  await expect(allergies.locator(tid(ids.summaryLine))).toHaveCount(0);
  await expect(allergies).not.toContainText('None recorded');
  await expect(allergies.locator(tid(ids.summaryEmpty))).toContainText('Not known');
  await expect(allergies.locator(tid(ids.summaryUnread))).toContainText('could not be read');
  const badge = page.locator(tid(ids.bannerBadges)).locator('[data-badge="allergies"]');
  await expect(badge).toContainText('Allergies unknown');
  await expect(badge).toContainText('not read');
  // The consent reminder rides beside the banner after the emergency override.
  await expect(page.locator(tid(ids.bannerBadges)).locator('[data-badge="objected"]')).toBeVisible();
  // Sections the failed GP could hold are all unknown; none says "None recorded".
  for (const section of ['medicines', 'problems', 'alerts']) {
    const s = page.locator(`${tid(ids.summarySection)}[data-section="${section}"]`);
    await expect(s).not.toContainText('None recorded');
  }
  // The GP's failure is one plain sentence on its card.
  const gp = page.locator(`${tid(ids.sourceStatus)} li[data-status="error"]`);
  await expect(gp).toHaveCount(1);
  await expect(gp.locator(tid(ids.sourceProblem))).toHaveCount(1);
});

test('end-of-life decisions lead the banner and have their section', async ({ page }) => {
  await signInAsClinician(page);
  await openDemoPatient(page, 'end-of-life plan');
  await giveBasis(page);
  const badge = page.locator(tid(ids.bannerBadges)).locator('[data-badge="end-of-life"]');
  await expect(badge).toBeVisible();
  const plans = page.locator(`${tid(ids.summarySection)}[data-section="care-plans"]`);
  await expect(plans).toContainText('ReSPECT');
  await expect(plans).toContainText('End of life care plan');
  // The ReSPECT alert is an end-of-life decision, not an ordinary alert.
  const alerts = page.locator(`${tid(ids.summarySection)}[data-section="alerts"]`);
  await expect(alerts).not.toContainText('ReSPECT');
});

test('a second look within the cache window says so, with when it was fetched', async ({ page }) => {
  await signInAsClinician(page);
  await openDemoPatient(page, 'GP only');
  await giveBasis(page);
  const gp = page.locator(`${tid(ids.sourceStatus)} li`).first();
  await expect(gp).toContainText(/fetched now \(\d+(\.\d)? m?s\)|from the brief cache/);
  await page.reload();
  await expect(gp).toContainText(/from the brief cache, fetched \d{2}:\d{2}/);
  await expect(gp).not.toContainText(/\b0 ms\b/);
});

test('a call handler is told in one line that some information is not shown', async ({ page }) => {
  await signIn(page, 'call.handler');
  await openDemoPatient(page, 'items labelled');
  await giveBasis(page);
  const limited = page.locator(tid(ids.limitedView));
  await expect(limited).toContainText('Some information is not shown for your role.');
  // Nothing says which services or kinds of item were withheld.
  await expect(page.locator(tid(ids.withheld))).toHaveCount(0);
  await expect(page.locator(tid(ids.withheldRow))).toHaveCount(0);
  const text = await page.locator('main').innerText();
  expect(text).not.toMatch(/withheld|sexual/i);
  // Sources that know the patient but show nothing for the role read exactly like sources
  // that do not know them: "answered", no entries.
  await expect(page.locator(`${tid(ids.sourceStatus)} li[data-status="not-found"]`)).toHaveCount(0);
  const silent = page.locator(`${tid(ids.sourceStatus)} li[data-status="ok"]`, { hasText: '0 entries' });
  expect(await silent.count()).toBeGreaterThan(0);
  expect(await wcagViolations(page)).toEqual([]);
});

test('keyboard: a skip link first, and / jumps to the NHS number box', async ({ page }) => {
  await signInAsClinician(page);
  await page.goto('/');
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  await page.keyboard.press('Tab');
  await expect(page.locator(tid(ids.skipLink))).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#main$/);

  await openDemoPatient(page, 'GP only');
  await giveBasis(page);
  await expect(page.locator(tid(ids.recordHeading))).toBeFocused();
  await page.keyboard.press('/');
  await expect(page.locator(tid(ids.nhsInput))).toBeFocused();
  // Typing "/" in a text box is just typing.
  await page.keyboard.type('9/');
  await expect(page.locator(tid(ids.nhsInput))).toHaveValue(/^9\//);
});

test('the record fits at 768 px and at 1280x800, and prints as a one-page summary', async ({ page }) => {
  await signInAsClinician(page);
  await openDemoPatient(page, 'known at all four sources');
  await giveBasis(page);
  for (const size of [
    { width: 768, height: 1024 },
    { width: 1280, height: 800 },
  ]) {
    await page.setViewportSize(size);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow, `no sideways scrolling at ${size.width} px`).toBeLessThanOrEqual(0);
    await expect(page.locator(tid(ids.summary))).toBeVisible();
  }
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator(tid(ids.summary))).toBeVisible();
  await expect(page.locator(tid(ids.patientBanner))).toBeVisible();
  await expect(page.locator(tid(ids.timeline))).toBeHidden();
  await expect(page.locator('header')).toBeHidden();
  await expect(page.locator(tid(ids.lookupForm))).toBeHidden();
});
