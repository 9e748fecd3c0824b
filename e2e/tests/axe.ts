// Accessibility scans with @axe-core/playwright (axe-core driven through Playwright, so pages
// whose Content-Security-Policy forbids every script, like the document page, are scanned too).
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';

const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/// The WCAG 2.1 A and AA violations axe finds on the page (or inside `include`, a CSS
/// selector), as `id (impact): help @ targets`. Tests expect none at all, which is stricter
/// than "no serious or critical".
export async function wcagViolations(page: Page, include?: string): Promise<string[]> {
  let builder = new AxeBuilder({ page }).withTags(WCAG_AA);
  if (include) {
    builder = builder.include(include);
  }
  const result = await builder.analyze();
  return result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} @ ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`,
  );
}
