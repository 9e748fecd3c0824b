// Playwright configuration, taken from ../end2end.toml so the browser tests, CI and people
// share one description of how the portal and the browser are started.
import { defineConfig } from '@playwright/test';
import { parse } from 'smol-toml';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

type End2End = {
  portal: { command: string; url: string; ready_path: string; start_timeout_ms: number };
  short_session_portal: { command: string; url: string };
  browser: { executable: string; args: string[] };
  run: { test_timeout_ms: number; workers: number; retries: number };
};

const root = resolve(__dirname, '..');
const e2e = parse(readFileSync(resolve(root, 'end2end.toml'), 'utf8')) as unknown as End2End;

export default defineConfig({
  testDir: './tests',
  timeout: e2e.run.test_timeout_ms,
  workers: e2e.run.workers,
  retries: e2e.run.retries,
  reporter: [['list']],
  use: {
    baseURL: e2e.portal.url,
    trace: 'off',
    launchOptions: { executablePath: e2e.browser.executable, args: e2e.browser.args },
  },
  webServer: [e2e.portal, e2e.short_session_portal].map((portal) => ({
    command: portal.command,
    cwd: root,
    url: portal.url + e2e.portal.ready_path,
    timeout: e2e.portal.start_timeout_ms,
    reuseExistingServer: false,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
  })),
});

/// The portal whose sessions end after a few idle seconds.
export const shortSessionUrl = e2e.short_session_portal.url;
