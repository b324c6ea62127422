// lib.mjs - what the browser tests share: Debian's chromium started the same
// way (playwright-core, no sandbox, nothing phoning home), the built IDE
// required, a page's errors collected, and the IDE's page helpers (the
// terminal's text, waits for the terminal and the run status, code typed the
// way a user would, the layout checked at many widths). Every wait is for a DOM state; T is a hang guard only.
//
// Environment: CODEROOM_WEB_ROOT (built IDE, default web/dist), CHROMIUM
// (default /usr/bin/chromium).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from '../lib/server.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.join(repoRoot, 'tests/artifacts');
export const T = 30000; // per wait (generous: CI machines share two cores with builds)

// Makes the screenshot folder, checks the IDE is built (unless noIde), and
// starts chromium headless. The caller closes the browser.
export async function launchChromium({ noIde = false } = {}) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  if (!noIde) {
    const index = path.join(process.env.CODEROOM_WEB_ROOT || path.join(repoRoot, 'web/dist'), 'index.html');
    assert.ok(fs.existsSync(index), `${index} missing: run "cd web && npm run build"`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

// Collects the page's uncaught errors and its console errors (and the
// server error frames the IDE logs) into the returned array.
export function collectProblems(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || /server error/.test(m.text())) problems.push(`console ${m.type()}: ${m.text()}`);
  });
  return problems;
}

// Loads the IDE at url and waits until its socket is connected.
export async function gotoConnected(page, url) {
  await page.goto(url, { timeout: 60000 });
  await page.waitForSelector('#conn[data-state="connected"]', { timeout: T });
}

// What the terminal shows: xterm.js's DOM renderer rows (the same text the
// screen-reader mode exposes).
export function terminalText(page) {
  return page.evaluate(() => {
    const rows = document.querySelector('#terminal .xterm-rows');
    return rows ? [...rows.children].map((r) => r.textContent.replace(/\u00a0/g, ' ')).join('\n') : '';
  });
}

export async function waitForTerminal(page, re, timeout = T) {
  const deadline = Date.now() + timeout;
  let text = '';
  while (Date.now() < deadline) {
    text = await terminalText(page);
    if (re.test(text)) return text;
    await page.waitForTimeout(100);
  }
  assert.fail(`terminal never matched ${re}; it shows:\n${text}`);
}

// Waits for the run status to reach state; returns the status line's text.
export async function waitForStatus(page, state, timeout = T) {
  try {
    await page.waitForSelector(`#status[data-state="${state}"]`, { timeout });
  } catch {
    const now = await page.evaluate(() => `${document.getElementById('status').dataset.state}: ${document.getElementById('status').innerText}`);
    assert.fail(`status never became "${state}"; it is ${now}\nterminal:\n${await terminalText(page)}`);
  }
  return page.locator('#status-text').innerText();
}

// Replaces the editor's content the way a user would (select all, type).
export async function typeCode(page, code) {
  await page.click('#editor .cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(code);
}

// typeCode, then checks the editor holds exactly that.
export async function setCode(page, code) {
  await typeCode(page, code);
  assert.equal(await page.evaluate(() => window.coderoom.code), code, 'editor holds the code');
}

// Resizes the page to each width in turn (760 px high) and returns what is
// wrong there, as "<width>px: ...": the page scrolling sideways, or a
// visible element matching selector off screen or overlapping another.
export async function layoutProblems(page, widths, selector) {
  const bad = [];
  for (const width of widths) {
    await page.setViewportSize({ width, height: 760 });
    await page.waitForFunction((w) => window.innerWidth === w, width, { timeout: T });
    bad.push(...(await page.evaluate((sel) => {
      const els = [...document.querySelectorAll(sel)].filter((e) => e.offsetParent);
      const boxes = els.map((e) => [e.id || e.className, e.getBoundingClientRect()]);
      const out = [];
      if (document.documentElement.scrollWidth > innerWidth) out.push('the page scrolls sideways');
      boxes.forEach(([n, a], i) => {
        if (a.left < 0 || a.right > innerWidth + 0.5) out.push(`${n} is off screen`);
        for (const [m, b] of boxes.slice(i + 1)) {
          if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) out.push(`${n} overlaps ${m}`);
        }
      });
      return out;
    }, selector)).map((x) => `${width}px: ${x}`));
  }
  return bad;
}
