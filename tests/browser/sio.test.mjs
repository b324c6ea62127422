// sio.test.mjs - a page of the original runner's kind (tests/browser/
// sio-page: only the Socket.IO events and the official client bundle) in
// chromium, served from another origin than coderoom's, as the original
// runner's pages were: allowed with --cors-origin, it runs a program and
// answers its input; from an origin not listed, it cannot connect.
//
// The page and socket.io.min.js (from tests/node_modules/socket.io-client)
// come from a test-only static server; nothing is added to the IDE.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { repoRoot, startServer } from '../lib/server.mjs';
import { ARTIFACTS, T, launchChromium } from './lib.mjs';

const FILES = {
  '/': ['tests/browser/sio-page/index.html', 'text/html; charset=utf-8'],
  '/page.js': ['tests/browser/sio-page/page.js', 'text/javascript'],
  '/socket.io.min.js': ['tests/node_modules/socket.io-client/dist/socket.io.min.js', 'text/javascript'],
};

let pages;	// the static server
let pagesPort;
let server;	// coderoom
let browser;

before(async () => {
  pages = http.createServer((req, res) => {
    const f = FILES[new URL(req.url, 'http://x').pathname];
    if (!f) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'Content-Type': f[1] }).end(fs.readFileSync(path.join(repoRoot, f[0])));
  });
  await new Promise((r) => pages.listen(0, '127.0.0.1', r));
  pagesPort = pages.address().port;
  server = await startServer({ webRoot: null, args: ['--cors-origin', `http://127.0.0.1:${pagesPort}`] });
  browser = await launchChromium({ noIde: true });
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
  if (pages) await new Promise((r) => pages.close(r));
});

async function openPage(host) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('websocket', (w) => requests.push(w.url()));
  await page.goto(`http://${host}:${pagesPort}/?server=${encodeURIComponent(server.url)}`);
  return { context, page, problems, requests };
}

test('a page from another origin (allowed) runs a program and answers its input', async () => {
  const { context, page, problems, requests } = await openPage('127.0.0.1');
  try {
    await page.waitForFunction(() => document.getElementById('conn').textContent === 'connected', null, { timeout: T });
    await page.waitForFunction(() => document.querySelectorAll('#language option').length > 0, null, { timeout: T });
    assert.equal(await page.locator('#language').inputValue(), 'python');
    await page.fill('#code', 'import sys\nname = input("your name? ")\nprint(f"hello {name}")\nprint("to stderr", file=sys.stderr)\n');
    await page.click('#run');
    await page.waitForSelector('#status[data-state="waiting"]', { timeout: T });
    assert.equal(await page.locator('#prompt').textContent(), 'waiting: your name? ');
    await page.fill('#input', 'Grace Hopper');
    await page.click('#send');
    await page.waitForSelector('#status[data-state="ok"]', { timeout: T });
    assert.equal(await page.locator('#out').textContent(), 'your name? hello Grace Hopper\nto stderr\n');
    // one output event per read of the pipe: print() to an unbuffered
    // stderr (PYTHONUNBUFFERED, the language's env_pipes) writes the text
    // and its newline apart, so they may come as one event or as two
    assert.equal((await page.locator('#out .stderr').allTextContents()).join(''), 'to stderr\n');
    assert.match(await page.locator('#status').textContent(), /^ok: code 0, signal null, \d+ ms$/);

    // Stop ends a program that never stops
    await page.fill('#code', 'print("spinning", flush=True)\nwhile True: pass\n');
    await page.click('#run');
    await page.waitForFunction(() => document.getElementById('out').textContent.includes('spinning'), null, { timeout: T });
    await page.click('#stop');
    await page.waitForSelector('#status[data-state="killed"]', { timeout: T });
    assert.match(await page.locator('#status').textContent(), /killed: code null, signal SIGKILL/);

    // the page really talked cross-origin, through the official client, and upgraded
    assert.ok(requests.some((u) => u.startsWith(`${server.url}/socket.io/?EIO=4&transport=polling`)), requests.join('\n'));
    const wsBase = server.url.replace('http:', 'ws:');
    assert.ok(requests.some((u) => u.startsWith(`${wsBase}/socket.io/?EIO=4&transport=websocket&sid=`)),
      `the client upgraded: ${requests.join('\n')}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'browser-sio.png') });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a page from an origin not listed cannot connect', async () => {
  // "localhost" is another origin than "127.0.0.1" for the browser
  const { context, page } = await openPage('localhost');
  try {
    await page.waitForFunction(() => document.getElementById('conn').textContent.startsWith('error'), null, { timeout: T });
    assert.equal(await page.locator('#langs').textContent(), '');
  } finally {
    await context.close();
  }
});
