// The page-weight benchmark (not a test): its own Playwright configuration, so the test suite
// (../playwright.config.ts, testDir ./tests) never runs it. One demo portal, as end2end.toml
// describes it. Run from e2e/: npx --no-install playwright test -c bench/playwright.config.ts
import { defineConfig } from '@playwright/test';
import { parse } from 'smol-toml';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

type End2End = {
  portal: { command: string; url: string; ready_path: string; start_timeout_ms: number };
  browser: { executable: string; args: string[] };
};

const root = resolve(__dirname, '..', '..');
const e2e = parse(readFileSync(resolve(root, 'end2end.toml'), 'utf8')) as unknown as End2End;

export default defineConfig({
  testDir: '.',
  testMatch: 'page-weight.ts',
  timeout: 300_000,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: e2e.portal.url,
    trace: 'off',
    launchOptions: { executablePath: e2e.browser.executable, args: e2e.browser.args },
  },
  webServer: {
    command: e2e.portal.command,
    cwd: root,
    url: e2e.portal.url + e2e.portal.ready_path,
    timeout: e2e.portal.start_timeout_ms,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
