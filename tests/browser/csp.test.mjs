// csp.test.mjs - the IDE works under the Content-Security-Policy the server
// sends (docs/operations.md): Chromium reports no violation while the IDE
// loads, edits and runs a program, CodeMirror's theme and xterm.js's
// measurements are applied (they are what a stricter style-src breaks),
// and an inline script injected into the page does not run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot, startServer } from '../lib/server.mjs';
import { postJSON } from '../lib/clients.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const T = 30000;
let server, browser;

before(async () => {
  const index = path.join(process.env.CODEROOM_WEB_ROOT || path.join(repoRoot, 'web/dist'), 'index.html');
  assert.ok(fs.existsSync(index), `${index} missing: run "cd web && npm run build"`);
  server = await startServer({ args: ['--allow-weak-sandbox'] });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
});
after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
});

for (const where of ['/', '/editor/ROOM']) {
  test(`the IDE at ${where} runs under its CSP without a violation`, async () => {
    let url = server.url + where;
    if (where.includes('ROOM')) url = url.replace('ROOM', (await postJSON(`${server.url}/create_session`, {})).json.session_id);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const violations = [];
    page.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text()); });
    try {
      const resp = await page.goto(url);
      const csp = resp.headers()['content-security-policy'];
      assert.match(csp, /script-src 'self'(;|$)/);
      await page.waitForSelector('#conn[data-state="connected"]', { timeout: T });
      if (where.includes('ROOM')) {
        // a room asks for a name first; the first to join is its host
        await page.waitForSelector('#name-dialog[open]', { timeout: T });
        await page.fill('#name-input', 'CSP');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => window.coderoom.room?.role === 'host', null, { timeout: T });
      }
      await page.click('#editor .cm-content');
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText('print("csp ok " * 2)\n');
      await page.click('#run');
      await page.waitForFunction(() => /csp ok csp ok/.test(document.querySelector('#terminal .xterm-rows')?.textContent || ''), null, { timeout: T });
      const facts = await page.evaluate(() => ({
        gutters: getComputedStyle(document.querySelector('.cm-gutters')).display,
        cursorLayer: getComputedStyle(document.querySelector('.cm-cursorLayer')).position,
        tabSize: getComputedStyle(document.querySelector('.cm-content')).tabSize,
        rowWidth: document.querySelector('#terminal .xterm-rows > div').getBoundingClientRect().width,
        screenWidth: document.querySelector('#terminal .xterm-screen').getBoundingClientRect().width,
      }));
      assert.equal(facts.gutters, 'flex', 'CodeMirror theme applied');
      assert.equal(facts.cursorLayer, 'absolute', 'CodeMirror theme applied');
      assert.ok(Math.abs(facts.rowWidth - facts.screenWidth) < 2, `xterm rows fill the screen (${JSON.stringify(facts)})`);
      // an inline script put into the page does not run
      const ran = await page.evaluate(() => new Promise((resolve) => {
        window.__injected = false;
        const s = document.createElement('script');
        s.textContent = 'window.__injected = true';
        document.body.appendChild(s);
        setTimeout(() => resolve(window.__injected), 200);
      }));
      assert.equal(ran, false, 'inline script blocked');
      assert.equal(violations.filter((v) => !/inline script|script-src/.test(v)).length, 0, violations.join('\n'));
    } finally { await ctx.close(); }
  });
}
