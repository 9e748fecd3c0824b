import { expect, test } from '@playwright/test';
import { ids, tid } from './ids';
import { giveBasis, signInAsClinician } from './session';

test('debug', async ({ page }) => {
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`console ${m.type()}: ${m.text()}`));
  page.on('request', (r) => { if (r.url().includes('/sfn/')) logs.push(`req ${r.method()} ${r.url()} ${r.postData() ?? ''}`); });
  page.on('response', (r) => { if (r.url().includes('/sfn/')) logs.push(`resp ${r.status()} ${r.url()}`); });
  await signInAsClinician(page);
  await page.goto('/');
  await page.locator(`${tid(ids.demoPatients)} li`, { hasText: 'known at all four' }).first().locator('a').click();
  await giveBasis(page);
  await expect(page.locator(tid(ids.timelineRow)).first()).toBeVisible();
  const chip = page.locator(`${tid(ids.sourceFilter)}[data-source-id="mental-health"]`);
  await chip.click();
  await page.waitForTimeout(3000);
  logs.push('URL ' + page.url());
  logs.push('chip ' + await chip.getAttribute('aria-current'));
  logs.push('count ' + await page.locator(tid(ids.timelineCount)).innerText());
  console.log(logs.join('\n'));
});
