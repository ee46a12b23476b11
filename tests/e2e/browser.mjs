// Headless Debian Chromium for the browser tests, launched the same way by every file, and what every
// file needs around it: the store's URL and the folder the screenshots go to.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const base = process.env.MYCLOTHES_URL;
export const artifacts = new URL('./artifacts/', import.meta.url).pathname;

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

// Registers hooks that launch Chromium before a file's tests (the store's URL must be set) and close it
// after them; returns a function that gives the browser.
export function chromiumForTests() {
  let browser;
  before(async () => {
    assert.ok(base, 'MYCLOTHES_URL is not set: run the browser test through script/test');
    mkdirSync(artifacts, { recursive: true });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });
  return () => browser;
}
