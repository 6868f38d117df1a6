import { defineConfig } from '@playwright/test';

// Debian's chromium; Playwright never downloads its own browser here.
const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

export default defineConfig({
  testDir: './tests',
  // The journeys share one demo database and build on each other's state.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: process.env.PUHUI_E2E_URL ?? 'http://127.0.0.1:3000',
    locale: 'zh-CN',
    launchOptions: chromium,
    trace: 'off',
  },
});
