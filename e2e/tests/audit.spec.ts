// Browser tests: an emergency access waits in the privacy officer's review queue until it is
// marked reviewed; the officer searches, downloads, checks the hash chain, and reads the access
// reports and a patient access report.
import { type Browser, expect, test } from '@playwright/test';
import { ids, tid } from './ids';
import { wcagViolations } from './axe';
import { giveBasis, signIn, signInAsClinician } from './session';

/// An A&E clinician (Dr Asha Patel) opens a demo patient's record on the emergency basis with
/// `reason`, in a browser context of their own; returns the NHS number as shown.
async function emergencyAccess(browser: Browser, reason: string): Promise<string> {
  const clinicianContext = await browser.newContext();
  const clinician = await clinicianContext.newPage();
  await signInAsClinician(clinician);
  await clinician.goto('/');
  const patient = clinician.locator(`${tid(ids.demoPatients)} li`, { hasText: 'GP only' }).first().locator('a');
  const nhs = (await patient.innerText()).trim();
  await patient.click();
  await giveBasis(clinician, 'emergency', reason);
  await expect(clinician.locator(tid(ids.basisBanner))).toContainText('Emergency access');
  await clinicianContext.close();
  return nhs;
}

test('an emergency access is queued for review, reviewed with a note, and the chain checks out', async ({ browser }) => {
  const reason = `Unconscious on arrival by ambulance, no relatives present (${Date.now()})`;
  const nhs = await emergencyAccess(browser, reason);

  const officerContext = await browser.newContext();
  const officer = await officerContext.newPage();
  await signIn(officer, 'privacy.officer');
  await officer.getByRole('link', { name: 'Open the audit workspace' }).click();
  await expect(officer).toHaveURL(/\/audit$/);
  await expect(officer.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  const item = officer.locator(tid(ids.reviewItem), { hasText: reason });
  await expect(item).toBeVisible();
  await expect(item).toContainText('Dr Asha Patel');
  // A review needs a note: what is wrong is said beside the field, and nothing is reviewed.
  await item.getByRole('button', { name: 'Mark reviewed' }).click();
  const problem = item.getByRole('alert');
  await expect(problem).toContainText('give a review note of at least 5 characters');
  await expect(item.getByLabel('Review note')).toHaveAttribute('aria-invalid', 'true');
  await expect(item.getByLabel('Review note')).toHaveAccessibleDescription(/review note of at least 5/);
  const note = `Checked with the ED consultant: appropriate (${Date.now()})`;
  await item.getByLabel('Review note').fill(note);
  await item.getByRole('button', { name: 'Mark reviewed' }).click();
  await expect(officer.locator(tid(ids.reviewItem), { hasText: reason })).toHaveCount(0);

  // The review is in the history: the access, who reviewed it, when and the note.
  await officer.getByRole('link', { name: 'Reviewed', exact: true }).click();
  await expect(officer).toHaveURL(/reviews=done/);
  await expect(officer.getByRole('link', { name: 'Reviewed', exact: true })).toHaveAttribute('aria-current', 'page');
  const done = officer.locator(tid(ids.reviewedItem), { hasText: reason });
  await expect(done).toContainText('Dr Asha Patel');
  await expect(done).toContainText(/Reviewed \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} (GMT|BST) by Priya Shah/);
  await expect(done).toContainText(note);
  // A period before the review holds none of it.
  await officer.getByLabel('Reviewed from (UK date)').fill('2020-01-01');
  await officer.getByLabel('Reviewed to (UK date)').fill('2020-01-31');
  await officer.getByRole('button', { name: 'Show reviews' }).click();
  await expect(officer).toHaveURL(/reviewed_to=2020-01-31/);
  await expect(officer.locator(tid(ids.reviewHistory))).toBeAttached();
  await expect(officer.locator(tid(ids.reviewedItem), { hasText: reason })).toHaveCount(0);
  expect(await wcagViolations(officer)).toEqual([]);
  await officer.getByRole('link', { name: 'Waiting for review' }).click();

  // Who looked at this patient? Search by NHS number: the emergency access and its review.
  const search = officer.locator(tid(ids.auditSearch));
  await search.getByLabel('NHS number').fill(nhs);
  await search.getByRole('button', { name: 'Search' }).click();
  await expect(officer).toHaveURL(/search=1/);
  const access = officer.locator(`${tid(ids.auditRow)}[data-kind="emergency-access"]`).first();
  await expect(access).toContainText('Dr Asha Patel');
  await access.locator('summary').click();
  await expect(access).toContainText(reason);

  // The same search as a CSV download.
  const [download] = await Promise.all([
    officer.waitForEvent('download'),
    officer.locator(tid(ids.auditExport)).click(),
  ]);
  expect(download.suggestedFilename()).toBe('audit-events.csv');
  const csv = await (await download.createReadStream()).toArray();
  const text = Buffer.concat(csv).toString('utf8');
  expect(text.startsWith('seq,time,kind,')).toBeTruthy();
  expect(text).toContain('emergency-access');
  expect(text).toContain(nhs.replace(/ /g, ''));

  await officer.getByRole('button', { name: 'Check the audit chain' }).click();
  await expect(officer.locator(tid(ids.chainCheck))).toContainText('Intact');
  await officerContext.close();
});

test('a clinician is refused the audit workspace', async ({ page }) => {
  await signInAsClinician(page);
  const response = await page.goto('/audit');
  expect(response?.status()).toBe(403);
});

test('the officer sees access reports with charts and a patient access report', async ({ browser }) => {
  const reason = `Collapsed in the waiting room, unable to consent (${Date.now()})`;
  const nhs = (await emergencyAccess(browser, reason)).replace(/ /g, '');

  const officerContext = await browser.newContext();
  const officer = await officerContext.newPage();
  await signIn(officer, 'privacy.officer', '/audit');
  await officer.getByRole('link', { name: 'Access reports' }).click();
  await expect(officer).toHaveURL(/\/audit\/reports$/);
  const report = officer.locator(tid(ids.accessReport));
  await expect(report).toContainText('records opened');
  // Today's bar is drawn, and the clinician is among the users.
  await expect(officer.locator(`${tid(ids.perDayChart)} svg rect`).first()).toBeAttached();
  await expect(officer.locator(tid(ids.perUserChart))).toContainText('Dr Asha Patel');
  await expect(officer.locator(tid(ids.emergencyUsers))).toBeVisible();
  await expect(officer.locator(tid(ids.sameSurname))).toBeVisible();

  // Subject access request: who viewed this NHS number?
  await officer.goto('/audit/patient');
  await officer.getByLabel('NHS number').fill(nhs);
  await officer.getByRole('button', { name: 'Show report' }).click();
  await expect(officer).toHaveURL(new RegExp(`nhs=${nhs}`));
  const viewer = officer.locator(tid(ids.patientViewer), { hasText: 'Dr Asha Patel' });
  await expect(viewer).toContainText('emergency');
  // First and last view, and when the report was made, on the UK clock to the second, as the
  // workspace shows every time.
  await expect(viewer).toContainText(/\d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} (GMT|BST)/);
  await expect(officer.locator(tid(ids.patientAccess))).toContainText(/Generated \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} (GMT|BST)\./);
  await expect(officer.locator(tid(ids.patientAccess))).toContainText('Emergency access');
  await officerContext.close();
});
