// Bytes on the wire for the record page, as a clinician's browser receives them (Chromium's
// own count: CDP Network.loadingFinished encodedDataLength, headers included), and the time
// from submitting a lookup to the summary being visible. Demo mode; prints a Markdown table
// for docs/BENCHMARKS.md ("Issue 16: page weight"). A benchmark, not a test: run it with
//   cd e2e && npx --no-install playwright test -c bench/playwright.config.ts
import { expect, test, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import { ids, tid } from '../tests/ids';
import { giveBasis, signInAsClinician } from '../tests/session';

type Measured = { bytes: number; requests: number; byType: Record<string, number> };

/// Counts the encoded bytes of every response the page loads between start() and stop().
class Meter {
  private counting = false;
  private types = new Map<string, string>();
  private measured: Measured = { bytes: 0, requests: 0, byType: {} };

  private constructor(readonly cdp: CDPSession) {
    cdp.on('Network.responseReceived', (e) => this.types.set(e.requestId, e.type));
    cdp.on('Network.loadingFinished', (e) => {
      if (!this.counting) return;
      const type = this.types.get(e.requestId) ?? 'Other';
      this.measured.bytes += e.encodedDataLength;
      this.measured.requests += 1;
      this.measured.byType[type] = (this.measured.byType[type] ?? 0) + e.encodedDataLength;
    });
  }

  static async on(context: BrowserContext, page: Page): Promise<Meter> {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    return new Meter(cdp);
  }

  /// Empties the browser's HTTP cache (cookies, so the session, are kept).
  async clearCache() {
    await this.cdp.send('Network.clearBrowserCache');
  }

  start() {
    this.measured = { bytes: 0, requests: 0, byType: {} };
    this.counting = true;
  }

  async stop(page: Page): Promise<Measured> {
    await page.waitForLoadState('networkidle');
    this.counting = false;
    return this.measured;
  }
}

async function summaryVisible(page: Page) {
  await expect(page.locator(tid(ids.summary))).toBeVisible({ timeout: 60_000 });
}

/// NHS numbers (digits) of demo patients by label, from the lookup page's demo list.
async function demoNhs(page: Page, label: string): Promise<string> {
  await page.goto('/');
  const item = page.locator(`${tid(ids.demoPatients)} li`, { hasText: label }).first();
  return (await item.locator('a').innerText()).replace(/\s/g, '');
}

/// A page that has never loaded anything, in a signed-in context, with the HTTP cache empty.
async function coldPage(context: BrowserContext): Promise<{ page: Page; meter: Meter }> {
  for (const old of context.pages()) await old.close();
  const page = await context.newPage();
  const meter = await Meter.on(context, page);
  await meter.clearCache();
  return { page, meter };
}

const kb = (n: number) => (n / 1024).toFixed(1);

test('page weight of the record page', async ({ browser }) => {
  const context = await browser.newContext();
  const signIn = await context.newPage();
  await signInAsClinician(signIn);
  const ordinary = await demoNhs(signIn, 'known at all four sources');
  const second = await demoNhs(signIn, 'GP and acute hospital only');
  const big = await demoNhs(signIn, '3,000 glucose readings');
  const rows: [string, Measured, string][] = [];

  // Ordinary patient, cold then warm.
  let { page, meter } = await coldPage(context);
  meter.start();
  await page.goto(`/record?nhs=${ordinary}`);
  await giveBasis(page);
  await summaryVisible(page);
  rows.push(['ordinary patient (all four sources), first record page, cold cache', await meter.stop(page), '≤ 300 KB']);
  meter.start();
  await page.goto(`/record?nhs=${ordinary}`);
  await summaryVisible(page);
  rows.push(['ordinary patient, same page again, warm cache', await meter.stop(page), '']);

  // A second patient after the first, as a clinician does it: home link, NHS number, Look up.
  meter.start();
  await page.locator('header a[href="/"]').click();
  await expect(page.locator(tid(ids.appRoot))).toHaveAttribute('data-hydrated', 'true');
  await page.locator(tid(ids.nhsInput)).fill(second);
  const submitted = Date.now();
  await page.getByRole('button', { name: 'Look up' }).click();
  await expect(page.locator(tid(ids.basisPrompt))).toBeVisible();
  const prompted = Date.now();
  await giveBasis(page);
  const basisGiven = Date.now();
  await summaryVisible(page);
  const shown = Date.now();
  rows.push(['second patient after the first (lookup form, basis; full page loads)', await meter.stop(page), '< 60 KB']);

  // The 3,000-observation patient, cold then warm.
  ({ page, meter } = await coldPage(context));
  meter.start();
  await page.goto(`/record?nhs=${big}`);
  await giveBasis(page);
  await summaryVisible(page);
  rows.push(['3,000-observation patient, first record page, cold cache', await meter.stop(page), '≤ 400 KB']);
  meter.start();
  await page.goto(`/record?nhs=${big}`);
  await summaryVisible(page);
  rows.push(['3,000-observation patient, same page again, warm cache', await meter.stop(page), '']);

  const table = [
    '| page | on the wire | requests | of which document / script / wasm+fetch / stylesheet | goal |',
    '|---|---:|---:|---|---|',
    ...rows.map(([what, m, goal]) => {
      const t = m.byType;
      const parts = [t.Document ?? 0, t.Script ?? 0, (t.Fetch ?? 0) + (t.XHR ?? 0) + (t.Other ?? 0), t.Stylesheet ?? 0];
      return `| ${what} | ${kb(m.bytes)} KB | ${m.requests} | ${parts.map(kb).join(' / ')} KB | ${goal} |`;
    }),
  ];
  console.log(['', ...table, '',
    `Lookup of the second patient: submit → basis prompt ${prompted - submitted} ms; ` +
    `basis given → summary visible ${shown - basisGiven} ms; submit → summary ${shown - submitted} ms ` +
    `(including the scripted basis answer).`, ''].join('\n'));
  await context.close();
});
