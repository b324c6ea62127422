// rooms.test.mjs - rooms in the IDE, in real browsers (Debian's chromium
// driven by playwright-core, one browser context per member: separate
// storage, separate sockets) against the real server: Share, join with a
// name, the member list, read-only readers (the server refuses too), grant
// write, typing and cursors seen by the other, chat as text, the shared run,
// reconnect with unconfirmed edits, resync with a recovery draft, undo of my
// own edits only, download and upload, the phone layout, and the pages'
// Content-Security-Policy.
//
// Every wait is for a DOM or page state; the timeouts are hang guards only.
// Environment: CODEROOM_BIN, CODEROOM_WEB_ROOT, CHROMIUM (as ide.test.mjs).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import { createRoom, joinRoom, roundTrip } from '../lib/rooms.mjs';
import {
  ARTIFACTS, T, gotoConnected, launchChromium, layoutProblems, typeCode, waitForStatus, waitForTerminal,
} from './lib.mjs';

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
});

// ------------------------------------------------------------ helpers

// A member: its own browser context (storage, cookies, sockets). Collects
// page errors, console errors, CSP violations, requests that leave the
// server, and every JSON frame the server sent.
async function member(server, { viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  const frames = [];
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sourceFile || ''}:${e.lineNumber || ''}`);
    });
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // While a test holds the context offline or the server down, the browser
  // logs each failed reconnect attempt: those are expected, nothing else is.
  const offlineNoise = /WebSocket connection to .* failed: .*(ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED)/;
  page.on('console', (m) => {
    if (m.type() === 'error' && !offlineNoise.test(m.text())) problems.push(`console error: ${m.text()}`);
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(server.url) && !u.startsWith('data:') && !u.startsWith('blob:') && !u.startsWith(server.wsUrl)) {
      problems.push(`external request: ${u}`);
    }
  });
  page.on('websocket', (ws) => ws.on('framereceived', (f) => {
    if (typeof f.payload !== 'string') return;
    try { frames.push(JSON.parse(f.payload)); } catch { /* not JSON */ }
  }));
  const m = {
    context, page, problems, frames,
    async csp() { return page.evaluate(() => window.__csp); },
    async check() {
      assert.deepEqual(problems, [], 'no page errors, console errors or external requests');
      assert.deepEqual(await m.csp(), [], 'no Content-Security-Policy violations');
    },
    close: () => context.close(),
  };
  return m;
}

// Answers the name dialog and waits until the page is in the room.
async function giveName(page, name) {
  await page.waitForSelector('#name-dialog[open]', { timeout: T });
  await page.fill('#name-input', name);
  await page.keyboard.press('Enter');
  await waitRoom(page, (r) => r.joined, `${name} joined`);
}

async function openSolo(m, server) {
  await gotoConnected(m.page, `${server.url}/`);
}

// On "/", presses Share: a new room with this page's code. Returns its link.
async function share(m, name) {
  await m.page.click('#share');
  await giveName(m.page, name);
  await m.page.waitForSelector('#share-dialog[open]', { timeout: T });
  const link = await m.page.inputValue('#share-link');
  await m.page.click('#share-close');
  assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/editor\/[a-z0-9]{20}$/, 'the share link');
  assert.equal(m.page.url(), link, 'the page moved to the room (history API)');
  return link;
}

// A room made by Ada (host) with Bob in it; both pages open.
async function roomOfTwo(server, { viewport, code: text = 'print("hi")\n', open = false, bobName = 'Bob' } = {}) {
  const ada = await member(server, { viewport });
  const bob = await member(server, { viewport });
  await openSolo(ada, server);
  await typeCode(ada.page, text);
  const link = await share(ada, 'Ada');
  if (open) {
    await ada.page.click('#open-edit-row');
    await waitRoom(ada.page, (r) => r.joined, 'open edit');
    await ada.page.waitForFunction(() => document.getElementById('open-edit').checked, null, { timeout: T });
  }
  await join(bob, link, bobName);
  return { ada, bob, link };
}

async function join(m, link, name) {
  await m.page.goto(link, { timeout: 60000 });
  await giveName(m.page, name);
}

// A page function that applies pred (a function of this test file) to what
// 'get' picks in the page. Built as a function, not a string: the pages' CSP
// forbids eval, and playwright evaluates string predicates with eval.
function inPage(get, pred, arg) {
  // eslint-disable-next-line no-new-func
  return new Function(`return (${pred.toString()})((${get})(), ${JSON.stringify(arg ?? null)});`);
}

// Until pred(room state of the page, arg) holds.
async function waitRoom(page, pred, what, { timeout = T, arg } = {}) {
  try {
    await page.waitForFunction(inPage('() => window.coderoom.room || {}', pred, arg), null, { timeout, polling: 50 });
  } catch (e) {
    const r = await page.evaluate(() => window.coderoom.room).catch(() => null);
    assert.fail(`never: ${what} (${e.message.split('\n')[0]}); room state: ${JSON.stringify(r)?.slice(0, 1500)}`);
  }
}

async function code(page) { return page.evaluate(() => window.coderoom.code); }

async function waitCode(page, pred, what, timeout = T) {
  try {
    await page.waitForFunction(inPage('() => window.coderoom.code', pred), null, { timeout, polling: 50 });
  } catch (e) {
    assert.fail(`editor never: ${what} (${e.message.split('\n')[0]}); it holds ${JSON.stringify(await code(page))}`);
  }
  return code(page);
}

// Both pages hold the same text and nothing is unconfirmed.
async function converged(a, b, what) {
  await waitRoom(a, (r) => r.unconfirmed === 0 && r.sync === 'synced', `${what}: A synced`);
  await waitRoom(b, (r) => r.unconfirmed === 0 && r.sync === 'synced', `${what}: B synced`);
  const deadline = Date.now() + T;
  let ta, tb, va, vb;
  while (Date.now() < deadline) {
    [ta, va] = await a.evaluate(() => [window.coderoom.code, window.coderoom.room.version]);
    [tb, vb] = await b.evaluate(() => [window.coderoom.code, window.coderoom.room.version]);
    if (ta === tb && va === vb) return ta;
    await a.waitForTimeout(50);
  }
  assert.fail(`${what}: the two editors differ:\nA (v${va}) ${JSON.stringify(ta)}\nB (v${vb}) ${JSON.stringify(tb)}`);
}

async function cursorEnd(page) {
  await page.click('#editor .cm-content');
  await page.keyboard.press('Control+End');
}

// Names in the member list, with their roles.
function memberList(page) {
  return page.$$eval('#members .member', (lis) => lis.map((li) => ({
    name: li.querySelector('.member-name').textContent,
    role: li.dataset.role,
    color: getComputedStyle(li.querySelector('.member-dot')).backgroundColor,
  })));
}

async function waitMembers(page, names, what) {
  const want = [...names].sort().join(',');
  try {
    await page.waitForFunction((w) => [...document.querySelectorAll('#members .member-name')]
      .map((e) => e.textContent).sort().join(',') === w, want, { timeout: T, polling: 50 });
  } catch {
    assert.fail(`${what}: member list is ${JSON.stringify(await memberList(page))}, want ${want}`);
  }
}

// The remote cursors drawn in the editor: [{member, label}].
function cursorsDrawn(page) {
  return page.$$eval('#editor .cm-remote-cursor', (els) => els.map((e) => ({
    member: e.dataset.member, label: e.querySelector('.cm-remote-label')?.textContent,
  })));
}

async function waitCursor(page, label, present = true) {
  try {
    await page.waitForFunction(([l, p]) => [...document.querySelectorAll('#editor .cm-remote-cursor .cm-remote-label')]
      .some((e) => e.textContent === l) === p, [label, present], { timeout: T, polling: 50 });
  } catch {
    assert.fail(`cursor labelled ${label} ${present ? 'never drawn' : 'never removed'}: ${JSON.stringify(await cursorsDrawn(page))}`);
  }
}

function framesOf(m, type, since = 0) { return m.frames.slice(since).filter((f) => f.type === type); }

async function waitFrame(m, pred, what, since = 0) {
  const deadline = Date.now() + T;
  while (Date.now() < deadline) {
    const f = m.frames.slice(since).find(pred);
    if (f) return f;
    await m.page.waitForTimeout(50);
  }
  assert.fail(`no frame: ${what}; last frames ${JSON.stringify(m.frames.slice(-5)).slice(0, 800)}`);
}

// ------------------------------------------------------------ tests

describe('rooms in the IDE (real browsers, one context per member)', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { if (server) await server.stop(); });

  test('share, join as a reader, grant write, see each other type, cursors and chat, reload, leave', async () => {
    const code0 = 'print("shared code")\n';
    const { ada, bob, link } = await roomOfTwo(server, { code: code0 });
    try {
      // The page Bob opened is the IDE under a strict CSP.
      const res = await bob.page.request.get(link);
      const csp = res.headers()['content-security-policy'] || '';
      assert.match(csp, /script-src 'self'(;|$)/, `CSP: ${csp}`);
      assert.doesNotMatch(csp, /unsafe-eval/);

      // Bob sees the code Ada shared, and both see both, with roles and colours.
      assert.equal(await code(bob.page), code0, 'the shared code');
      await waitMembers(ada.page, ['Ada', 'Bob'], 'Ada sees Bob');
      await waitMembers(bob.page, ['Ada', 'Bob'], 'Bob sees Ada');
      const list = await memberList(bob.page);
      assert.deepEqual(list.map((m) => [m.name, m.role]).sort(), [['Ada', 'host'], ['Bob', 'reader']]);
      assert.notEqual(list[0].color, list[1].color, 'each member has a colour of their own');

      // Bob is a reader: the UI says so, and typing changes nothing.
      assert.ok(await bob.page.locator('#readonly-notice').isVisible(), 'the read-only notice');
      assert.match(await bob.page.locator('#readonly-notice').innerText(), /read-only/i);
      assert.equal(await bob.page.locator('#role-chip').innerText(), 'Read-only');
      for (const sel of ['#run', '#stop', '#upload', '#example']) {
        assert.ok(await bob.page.locator(sel).isDisabled(), `${sel} is disabled for a reader`);
      }
      assert.equal(await bob.page.getAttribute('#editor .cm-content', 'aria-readonly'), 'true');
      await bob.page.click('#editor .cm-content');
      await bob.page.keyboard.type('x = 1');
      await bob.page.keyboard.press('Enter');
      await bob.page.keyboard.press('Backspace');
      assert.equal(await code(bob.page), code0, 'typing in a reader\'s editor changes nothing');
      assert.equal((await bob.page.evaluate(() => window.coderoom.room)).unconfirmed, 0);

      // ... and the server refuses a reader's push, whatever the page sends.
      let since = bob.frames.length;
      await bob.page.evaluate((len) => window.coderoom.send({
        type: 'push', version: window.coderoom.room.version,
        updates: [{ clientID: 'forged', changes: [[0, 'evil '], len] }],
      }), code0.length);
      const refused = await waitFrame(bob, (f) => f.type === 'error', 'an error for the push', since);
      assert.equal(refused.code, 'forbidden');
      assert.equal(await code(ada.page), code0, 'the forged push changed nothing');

      // Ada types: Bob sees it live, with Ada's cursor and name.
      await cursorEnd(ada.page);
      await ada.page.keyboard.type('print("typed by Ada")');
      await waitCode(bob.page, (c) => c.includes('print("typed by Ada")'), 'shows Ada\'s typing');
      await waitCursor(bob.page, 'Ada');
      // Her selection too.
      await ada.page.keyboard.press('Shift+Home');
      await bob.page.waitForSelector('#editor .cm-remote-selection', { timeout: T });
      assert.equal(await bob.page.$eval('#editor .cm-remote-selection', (e) => e.textContent), 'print("typed by Ada")');

      // Ada grants Bob write access: Bob's UI changes at once.
      await ada.page.click('#members .member[data-role="reader"] button[data-action="grant"]');
      await waitRoom(bob.page, (r) => r.role === 'writer', 'Bob became a writer');
      await bob.page.waitForSelector('#readonly-notice', { state: 'hidden', timeout: T });
      assert.equal(await bob.page.locator('#role-chip').innerText(), 'Can edit');
      assert.ok(await bob.page.locator('#run').isEnabled(), 'Run is enabled for a writer');
      assert.equal(await bob.page.getAttribute('#editor .cm-content', 'aria-readonly'), null);
      await ada.page.waitForSelector('#members .member[data-role="writer"] button[data-action="revoke"]', { timeout: T });

      // Bob types: Ada sees it, and his cursor.
      await cursorEnd(bob.page);
      await bob.page.keyboard.press('Enter');
      await bob.page.keyboard.type('print("typed by Bob 日本 👋")');
      await waitCode(ada.page, (c) => c.includes('print("typed by Bob 日本 👋")'), 'shows Bob\'s typing');
      await waitCursor(ada.page, 'Bob');
      const both = await converged(ada.page, bob.page, 'after both typed');
      assert.equal(both, 'print("shared code")\nprint("typed by Ada")\nprint("typed by Bob 日本 👋")');
      // Where Bob's cursor is: at the end, after what he typed (not where
      // his presence was before his edits were confirmed).
      await waitRoom(ada.page, (r, len) => r.cursors.some((c) => c.name === 'Bob' && c.head === len),
        'Bob\'s cursor at the end of the text', { arg: both.length });
      await waitRoom(bob.page, (r, len) => r.cursors.some((c) => c.name === 'Ada' && c.anchor === len && c.head === len - 21),
        'Ada\'s selection on her line', { arg: 'print("shared code")\nprint("typed by Ada")'.length });

      // Chat: a line with markup in it arrives as text, with name and time.
      const evil = '<img src=x onerror="window.__pwned=1"><b>bold?</b> & 日本 👋';
      await bob.page.fill('#chat-input', evil);
      await bob.page.keyboard.press('Enter');
      for (const p of [ada.page, bob.page]) {
        await p.waitForFunction((t) => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === t),
          evil, { timeout: T });
        assert.equal(await p.locator('#chat-log img, #chat-log b').count(), 0, 'no markup from a chat line');
        assert.equal(await p.$eval('#chat-log .chat-line:last-child .chat-name', (e) => e.textContent), 'Bob');
        assert.match(await p.$eval('#chat-log .chat-line:last-child time', (e) => e.textContent), /\d{1,2}:\d{2}/);
      }
      await ada.page.fill('#chat-input', 'hello Bob');
      await ada.page.click('#chat-send');
      await bob.page.waitForFunction(() => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === 'hello Bob'),
        null, { timeout: T });
      assert.equal(await ada.page.evaluate(() => window.__pwned), undefined);
      assert.equal(await bob.page.evaluate(() => window.__pwned), undefined);
      await ada.page.screenshot({ path: path.join(ARTIFACTS, 'room-desktop-host.png') });
      await bob.page.screenshot({ path: path.join(ARTIFACTS, 'room-desktop-member.png') });

      // A reload restores the same member and role (the token), and the chat.
      const bobId = (await bob.page.evaluate(() => window.coderoom.room)).me.id;
      await bob.page.reload();
      await waitRoom(bob.page, (r) => r.joined, 'Bob re-joined after a reload');
      assert.equal(await bob.page.locator('#name-dialog[open]').count(), 0, 'the name is remembered');
      const again = await bob.page.evaluate(() => window.coderoom.room);
      assert.equal(again.me.id, bobId, 'the same member');
      assert.equal(again.role, 'writer', 'the same role');
      await bob.page.waitForFunction(() => document.querySelectorAll('#chat-log .chat-line').length === 2, null, { timeout: T });
      assert.equal(await code(bob.page), both);
      await waitMembers(ada.page, ['Ada', 'Bob'], 'after Bob\'s reload');

      // Bob closes his tab: he leaves Ada's member list and her editor.
      await waitCursor(ada.page, 'Bob');
      await bob.page.close();
      await waitMembers(ada.page, ['Ada'], 'Bob left');
      await waitCursor(ada.page, 'Bob', false);
      assert.deepEqual((await ada.page.evaluate(() => window.coderoom.room)).cursors, []);
      await ada.check();
      assert.deepEqual(bob.problems, []);
    } finally {
      await ada.close();
      await bob.close();
    }
  });

  test('one shared run: everyone sees it live, a late joiner gets the scrollback, only writers type and stop', async () => {
    const prog = [
      'import time',
      'for i in range(3):',
      '    print(f"tick {i}", flush=True)',
      'name = input("name? ")',
      'print(f"hello {name}", flush=True)',
      'while True:',
      '    time.sleep(0.2)',
      '',
    ].join('\n');
    const { ada, bob, link } = await roomOfTwo(server, { code: prog });
    const carol = await member(server);
    try {
      await ada.page.click('#run');
      for (const p of [ada.page, bob.page]) {
        await waitForTerminal(p, /tick 0[\s\S]*tick 2[\s\S]*name\? /);
        await waitForStatus(p, 'waiting');
      }

      // Bob reads along: no Run, no Stop, and the terminal takes no input.
      assert.ok(await bob.page.locator('#run').isDisabled());
      assert.ok(await bob.page.locator('#stop').isDisabled());
      assert.ok(await bob.page.locator('#term-chip').isVisible(), 'the terminal says "view only"');
      let since = bob.frames.length;
      await bob.page.click('#terminal .xterm-screen');
      await bob.page.keyboard.type('sneaky');
      await bob.page.keyboard.press('Enter');
      // The server refuses a reader's input and stop too.
      await bob.page.evaluate(() => { window.coderoom.send({ type: 'input', data: 'forged\r' }); window.coderoom.send({ type: 'stop' }); });
      await waitFrame(bob, (f) => f.type === 'error' && /type/.test(f.message || ''), 'input refused', since);
      await waitFrame(bob, (f) => f.type === 'error' && /stop/.test(f.message || ''), 'stop refused', since);
      assert.ok(framesOf(bob, 'error', since).every((f) => f.code === 'forbidden'), JSON.stringify(framesOf(bob, 'error', since)));

      // Carol joins mid-run: the output so far, then what comes next.
      await join(carol, link, 'Carol');
      await waitForTerminal(carol.page, /tick 0[\s\S]*tick 1[\s\S]*tick 2[\s\S]*name\? /);
      await waitForStatus(carol.page, 'waiting');

      // Ada lets Bob edit; his answer reaches the program, and everyone sees it.
      await ada.page.click('#members .member[data-role="reader"]:has(.member-name:text-is("Bob")) button[data-action="grant"]');
      await waitRoom(bob.page, (r) => r.role === 'writer', 'Bob became a writer');
      await bob.page.waitForSelector('#term-chip', { state: 'hidden', timeout: T });
      await bob.page.click('#terminal .xterm-screen');
      await bob.page.keyboard.type('Bob');
      await bob.page.keyboard.press('Enter');
      for (const p of [ada.page, bob.page, carol.page]) {
        const text = await waitForTerminal(p, /hello Bob/);
        assert.doesNotMatch(text, /sneaky|forged/, 'nothing a reader typed reached the program');
        await waitForStatus(p, 'running');
      }
      // A moment of the room for the screenshots: a word in the chat, Bob
      // at work in the editor.
      await carol.page.fill('#chat-input', 'could it say goodbye too?');
      await carol.page.keyboard.press('Enter');
      await bob.page.fill('#chat-input', 'on it');
      await bob.page.keyboard.press('Enter');
      await ada.page.waitForFunction(() => document.querySelectorAll('#chat-log .chat-line').length === 2, null, { timeout: T });
      await cursorEnd(bob.page);
      await bob.page.keyboard.type('print("goodbye")');
      await bob.page.keyboard.press('Shift+Home');
      await waitCursor(ada.page, 'Bob');
      await waitCursor(carol.page, 'Bob');
      await ada.page.screenshot({ path: path.join(ARTIFACTS, 'room-desktop.png') });
      await carol.page.screenshot({ path: path.join(ARTIFACTS, 'room-run-late-joiner.png') });

      // Bob, a writer now, stops the room's run: it ends for everyone.
      await bob.page.waitForSelector('#stop:not([disabled])', { timeout: T });
      await bob.page.click('#stop');
      for (const p of [ada.page, bob.page, carol.page]) await waitForStatus(p, 'killed');
      assert.ok(await carol.page.locator('#run').isDisabled(), 'Carol is still a reader');
      await ada.check();
      await bob.check();
      await carol.check();
    } finally {
      await ada.close();
      await bob.close();
      await carol.close();
    }
  });

  test('offline: the user keeps typing, the UI says so, and on reconnect the edits land once', async () => {
    const { ada, bob } = await roomOfTwo(server, { code: 'line one\n', open: true });
    try {
      await waitRoom(bob.page, (r) => r.role === 'writer', 'open edit made Bob a writer');
      await ada.context.setOffline(true);
      await ada.page.waitForSelector('#conn[data-state="offline"]', { timeout: T });
      await ada.page.waitForSelector('#sync[data-state="offline"]', { timeout: T });
      await cursorEnd(ada.page);
      await ada.page.keyboard.type('written offline');
      await waitRoom(ada.page, (r) => r.unconfirmed > 0, 'Ada has unsent edits');
      assert.match(await ada.page.locator('#sync').innerText(), /offline · \d+ unsent/i);

      // Closing the tab now would lose them: the page asks first.
      const asked = new Promise((resolve) => ada.page.once('dialog', async (d) => { resolve(d.type()); await d.dismiss(); }));
      await ada.page.close({ runBeforeUnload: true });
      assert.equal(await asked, 'beforeunload');
      assert.equal(ada.page.isClosed(), false, 'the tab stayed open');

      // Bob edits meanwhile.
      await bob.page.click('#editor .cm-content');
      await bob.page.keyboard.press('Control+Home');
      await bob.page.keyboard.type('# by Bob\n');
      await waitRoom(bob.page, (r) => r.unconfirmed === 0 && r.sync === 'synced', 'Bob synced');
      assert.ok(!(await code(bob.page)).includes('written offline'));

      await ada.context.setOffline(false);
      await ada.page.waitForSelector('#conn[data-state="connected"]', { timeout: T });
      const text = await converged(ada.page, bob.page, 'after the reconnect');
      assert.equal(text, '# by Bob\nline one\nwritten offline');
      // Ada's cursor, as Bob sees it, is after what she typed offline (her
      // presence on re-joining was in positions without those edits).
      await waitRoom(bob.page, (r, len) => r.cursors.some((c) => c.name === 'Ada' && c.head === len),
        'Ada\'s cursor after her offline text', { arg: text.length });
      assert.deepEqual((await ada.page.evaluate(() => window.coderoom.room)).drafts, [], 'no recovery draft was needed');
      await ada.check();
      await bob.check();
    } finally {
      await ada.close();
      await bob.close();
    }
  });

  test('two writers typing at the same time, emoji, CJK and a CRLF paste: both end with the same text', async () => {
    const { ada, bob } = await roomOfTwo(server, { code: 'top\nbottom\n', open: true });
    try {
      await waitRoom(bob.page, (r) => r.role === 'writer', 'Bob is a writer');
      await ada.page.click('#editor .cm-content');
      await ada.page.keyboard.press('Control+Home');
      await cursorEnd(bob.page);
      const adaTypes = async () => {
        for (let i = 0; i < 6; i++) {
          await ada.page.keyboard.type(`a${i} `);
          await ada.page.keyboard.insertText('👋日本');
        }
        await ada.page.keyboard.insertText('pasted\r\nwith CRLF\r\n');
      };
      const bobTypes = async () => {
        for (let i = 0; i < 6; i++) {
          await bob.page.keyboard.type(`b${i} `);
          await bob.page.keyboard.insertText('🎉中文');
          if (i === 2) await bob.page.keyboard.press('Enter');
        }
      };
      await Promise.all([adaTypes(), bobTypes()]);
      const text = await converged(ada.page, bob.page, 'after typing at once');
      const want = (prefix, extra) => [0, 1, 2, 3, 4, 5].map((i) => `${prefix}${i} ${extra}`);
      let at = 0;
      for (const piece of want('a', '👋日本')) {
        const j = text.indexOf(piece, at);
        assert.ok(j >= at, `Ada's "${piece}" is there once, in order: ${JSON.stringify(text)}`);
        at = j + piece.length;
      }
      for (const piece of want('b', '🎉中文')) assert.equal(text.split(piece).length, 2, `Bob's "${piece}" once: ${JSON.stringify(text)}`);
      assert.ok(text.includes('pasted\nwith CRLF\n'), 'CRLF became LF');
      assert.ok(!text.includes('\r'));
      const server = await (await ada.page.request.get(`${ada.page.url().replace('/editor/', '/api/rooms/')}`)).json();
      assert.equal(server.text, text, 'the server holds the same text');
      await ada.check();
      await bob.check();
    } finally {
      await ada.close();
      await bob.close();
    }
  });

  test('shared tabs: a file added in one page shows in the other; both type into two files at once and converge', async () => {
    const { ada, bob, link } = await roomOfTwo(server, { code: 'import util\n', open: true });
    try {
      await waitRoom(bob.page, (r) => r.role === 'writer', 'Bob is a writer');
      // Ada adds util.py with the New file button and its dialog
      await ada.page.click('#file-add');
      await ada.page.waitForSelector('#file-dialog[open]', { timeout: T });
      await ada.page.fill('#file-name-input', 'util.py');
      await ada.page.keyboard.press('Enter');
      // it shows in Bob's tabs, from the server (nothing local)
      await bob.page.waitForSelector('#tabs [role="tab"][data-name="util.py"]', { timeout: T });
      await ada.page.waitForSelector('#tabs [role="tab"][data-name="util.py"][aria-selected="true"]', { timeout: T });
      assert.deepEqual(await bob.page.$$eval('#tabs [role="tab"]', (ts) => ts.map((t) => t.dataset.name)), ['main.py', 'util.py']);
      // both type into util.py at once (Ada at the top, Bob at the end: two
      // people typing at one place interleave their letters), then into main.py
      await ada.page.keyboard.type('# util\n');
      await bob.page.click('#tabs [role="tab"][data-name="util.py"]');
      await waitRoom(bob.page, (r) => r.files.find((f) => f.id === r.active)?.text === '# util\n', 'Bob shows util.py with Ada\'s line');
      for (const name of ['util.py', 'main.py']) {
        if (name === 'main.py') {
          await ada.page.click('#tabs [role="tab"][data-name="main.py"]');
          await bob.page.click('#tabs [role="tab"][data-name="main.py"]');
        }
        await ada.page.click('#editor .cm-content');
        await ada.page.keyboard.press('Control+Home');
        await cursorEnd(bob.page);
        await Promise.all([
          (async () => { for (let i = 0; i < 5; i++) await ada.page.keyboard.type(`A${name[0]}${i} `); })(),
          (async () => { for (let i = 0; i < 5; i++) { await bob.page.keyboard.type(`B${name[0]}${i} `); await bob.page.keyboard.insertText('日本'); } })(),
        ]);
      }
      // every file converges, on both pages and on the server
      const synced = (r) => r.unconfirmed === 0 && r.sync === 'synced' && r.files.length === 2;
      await waitRoom(ada.page, synced, 'Ada synced');
      await waitRoom(bob.page, synced, 'Bob synced');
      const api = link.replace('/editor/', '/api/rooms/');
      const deadline = Date.now() + T;
      let fa, fb, srv;
      const texts = (files) => Object.fromEntries(files.map((f) => [f.name, f.text]));
      while (Date.now() < deadline) {
        fa = texts((await ada.page.evaluate(() => window.coderoom.room)).files);
        fb = texts((await bob.page.evaluate(() => window.coderoom.room)).files);
        srv = texts((await (await ada.page.request.get(api)).json()).files);
        if (JSON.stringify(fa) === JSON.stringify(srv) && JSON.stringify(fb) === JSON.stringify(srv)) break;
        await ada.page.waitForTimeout(50);
      }
      assert.deepEqual(fa, srv, 'Ada has the server\'s files');
      assert.deepEqual(fb, srv, 'Bob has the server\'s files');
      for (const [name, who] of [['util.py', 'A'], ['util.py', 'B'], ['main.py', 'A'], ['main.py', 'B']]) {
        for (let i = 0; i < 5; i++) assert.equal(srv[name].split(`${who}${name[0]}${i} `).length, 2, `${who}'s edit ${i} once in ${name}: ${JSON.stringify(srv)}`);
      }
      assert.ok(srv['main.py'].includes('import util\n'));
      assert.ok(srv['util.py'].includes('# util\n'));
      // Bob renames util.py (F2 on its tab): Ada's tab follows
      await bob.page.focus('#tabs [role="tab"][data-name="util.py"]');
      await bob.page.keyboard.press('F2');
      await bob.page.waitForSelector('#file-dialog[open]', { timeout: T });
      await bob.page.fill('#file-name-input', 'helpers.py');
      await bob.page.keyboard.press('Enter');
      await ada.page.waitForSelector('#tabs [role="tab"][data-name="helpers.py"]', { timeout: T });
      await ada.page.screenshot({ path: path.join(ARTIFACTS, 'room-files.png') });
      await ada.check();
      await bob.check();
    } finally {
      await ada.close();
      await bob.close();
    }
  });

  test('Share a C project of three files: the page keeps showing the file I was on', async () => {
    const ada = await member(server);
    try {
      await openSolo(ada, server);
      await ada.page.selectOption('#language', 'c');
      await ada.page.waitForSelector('#tabs [role="tab"][data-name="util.h"]', { timeout: T });
      await ada.page.click('#tabs [role="tab"][data-name="util.c"]');
      await ada.page.waitForSelector('#tabs [role="tab"][data-name="util.c"][aria-selected="true"]', { timeout: T });
      const shown = await code(ada.page);
      await share(ada, 'Ada');
      await waitRoom(ada.page, (r) => r.files.length === 3 && r.unconfirmed === 0, 'the three files are in the room');
      // the files arrive one by one after Share (file_added): the view stays on mine
      assert.deepEqual(await ada.page.$$eval('#tabs [role="tab"][aria-selected="true"]', (ts) => ts.map((t) => t.dataset.name)),
        ['util.c'], 'the tab I was on is still the one shown');
      assert.equal(await code(ada.page), shown, 'the editor shows util.c, as before Share');
      await ada.check();
    } finally {
      await ada.close();
    }
  });

  test('the host opens editing to everyone, changes the language and hands the host role over (by keyboard)', async () => {
    const { ada, bob } = await roomOfTwo(server, { code: 'echo hi\n' });
    try {
      // Everyone can edit: on, Bob writes; off, he reads again.
      assert.ok(await bob.page.locator('#open-edit-row').isHidden(), 'only the host has the switch');
      await ada.page.focus('#open-edit');
      await ada.page.keyboard.press('Space');
      await waitRoom(bob.page, (r) => r.role === 'writer', 'open edit made Bob a writer');
      await bob.page.waitForSelector('#readonly-notice', { state: 'hidden', timeout: T });
      await ada.page.keyboard.press('Space');
      await waitRoom(bob.page, (r) => r.role === 'reader', 'Bob is a reader again');
      await bob.page.waitForSelector('#readonly-notice', { state: 'visible', timeout: T });

      // The language is the host's choice; everyone's file name follows.
      assert.ok(await bob.page.locator('#language').isDisabled(), 'a member cannot change the language');
      await ada.page.selectOption('#language', 'bash');
      for (const p of [ada.page, bob.page]) {
        await p.waitForFunction(() => document.querySelector('#tabs [role=tab][aria-selected="true"]')?.dataset.name === 'main.sh', null, { timeout: T });
        assert.equal(await p.inputValue('#language'), 'bash');
      }
      await ada.page.click('#run');
      await waitForTerminal(bob.page, /^hi$/m);

      // Hand over, from the keyboard: the button asks once more, then does it.
      await ada.page.focus('#members button[data-action="host"]');
      await ada.page.keyboard.press('Enter');
      await ada.page.waitForFunction(() => document.activeElement?.textContent === 'Confirm', null, { timeout: T });
      await ada.page.keyboard.press('Enter');
      await waitRoom(bob.page, (r) => r.role === 'host', 'Bob is the host');
      await waitRoom(ada.page, (r) => r.role === 'writer', 'Ada stays a writer');
      await bob.page.waitForSelector('#open-edit-row', { state: 'visible', timeout: T });
      assert.equal(await bob.page.locator('#role-chip').innerText(), 'Host');
      assert.match(await bob.page.locator('#toast').innerText(), /you are now the host/i);
      await ada.page.waitForSelector('#open-edit-row', { state: 'hidden', timeout: T });
      assert.equal(await ada.page.locator('#members button').count(), 0, 'Ada has no host controls any more');
      assert.ok(await ada.page.locator('#language').isDisabled());
      await ada.check();
      await bob.check();
    } finally {
      await ada.close();
      await bob.close();
    }
  });

  test('the same member in a second tab: the first tab says where the room went and stops editing', async () => {
    const ada = await member(server);
    try {
      await openSolo(ada, server);
      const link = await share(ada, 'Ada');
      const second = await ada.context.newPage();
      await second.goto(link);
      await waitRoom(second, (r) => r.joined && r.role === 'host', 'the second tab is Ada, the host');
      assert.equal(await second.locator('#name-dialog[open]').count(), 0, 'no name asked: same browser, same member');
      await ada.page.waitForFunction(() => /open in another tab/.test(document.getElementById('toast').textContent), null, { timeout: T });
      assert.equal(await ada.page.getAttribute('#editor .cm-content', 'aria-readonly'), 'true');
      assert.equal((await ada.page.evaluate(() => window.coderoom.room)).joined, false);
      await second.click('#editor .cm-content');
      await second.keyboard.type('# still editable here');
      await waitRoom(second, (r) => r.version > 0 && r.unconfirmed === 0, 'the edit landed');
      await ada.check();
    } finally {
      await ada.close();
    }
  });

  test('Ctrl-Z undoes my own edits only, with another member\'s edit in between', async () => {
    const { ada, bob } = await roomOfTwo(server, { code: 'middle\n', open: true });
    try {
      await waitRoom(bob.page, (r) => r.role === 'writer', 'Bob is a writer');
      await ada.page.click('#editor .cm-content');
      await ada.page.keyboard.press('Control+Home');
      await ada.page.keyboard.type('ADA ');
      await waitCode(bob.page, (c) => c === 'ADA middle\n', 'has Ada\'s edit');
      await cursorEnd(bob.page);
      await bob.page.keyboard.type('BOB');
      await waitCode(ada.page, (c) => c === 'ADA middle\nBOB', 'has Bob\'s edit');

      await ada.page.keyboard.press('Control+z');
      await waitCode(ada.page, (c) => c === 'middle\nBOB', 'Ada\'s undo took back her edit only');
      assert.equal(await converged(ada.page, bob.page, 'after the undo'), 'middle\nBOB');
      await ada.page.keyboard.press('Control+z');
      assert.equal(await code(ada.page), 'middle\nBOB', 'nothing more of Ada\'s to undo: Bob\'s edit stays');
      await ada.page.keyboard.press('Control+Shift+z');
      await waitCode(ada.page, (c) => c === 'ADA middle\nBOB', 'redo');
      assert.equal(await converged(ada.page, bob.page, 'after the redo'), 'ADA middle\nBOB');

      // And the same for Bob.
      await bob.page.keyboard.press('Control+z');
      assert.equal(await converged(ada.page, bob.page, 'after Bob\'s undo'), 'ADA middle\n');
      await ada.check();
      await bob.check();
    } finally {
      await ada.close();
      await bob.close();
    }
  });

  test('download the room\'s file; upload replaces it for everyone (writers only), within the size cap', async () => {
    const code0 = 'print("download me")\n';
    const bobName = '<img src=x onerror="window.__pwned=1">Bob';
    const { ada, bob } = await roomOfTwo(server, { code: code0, bobName });
    try {
      // A name with markup in it is a name: text in the list and on the cursor.
      await waitMembers(ada.page, ['Ada', bobName], 'Ada sees Bob by his odd name');
      await waitCursor(ada.page, bobName);
      assert.equal(await ada.page.locator('#members img, #editor img:not(.cm-widgetBuffer)').count(), 0, 'no markup from a name');
      assert.equal(await ada.page.evaluate(() => window.__pwned), undefined);

      const [dl] = await Promise.all([ada.page.waitForEvent('download', { timeout: T }), ada.page.click('#download')]);
      assert.equal(dl.suggestedFilename(), 'main.py');
      assert.equal(fs.readFileSync(await dl.path(), 'utf8'), code0);

      assert.ok(await bob.page.locator('#upload').isDisabled(), 'a reader cannot upload');

      await ada.page.setInputFiles('#upload-file', {
        name: 'other <b>name</b>.py', mimeType: 'text/x-python', buffer: Buffer.from('print("uploaded")\r\nprint(2)\r\n'),
      });
      await waitCode(bob.page, (c) => c === 'print("uploaded")\nprint(2)\n', 'has the uploaded file');
      assert.equal(await ada.page.locator('#toast b').count(), 0, 'the file name is shown as text');
      assert.match(await ada.page.locator('#toast').innerText(), /other <b>name<\/b>\.py/);
      assert.equal((await ada.page.evaluate(() => window.coderoom.room)).drafts.at(-1).text, code0,
        'the text before the upload is kept as a draft');

      // The host uploads a file of another language: the room follows it.
      await ada.page.setInputFiles('#upload-file', { name: 'hello.sh', mimeType: 'text/x-sh', buffer: Buffer.from('echo hello\n') });
      for (const p of [ada.page, bob.page]) {
        await p.waitForFunction(() => document.querySelector('#tabs [role=tab][aria-selected="true"]')?.dataset.name === 'main.sh', null, { timeout: T });
        assert.equal(await p.inputValue('#language'), 'bash');
      }
      await waitCode(bob.page, (c) => c === 'echo hello\n', 'has the shell script');
      const [dl2] = await Promise.all([bob.page.waitForEvent('download', { timeout: T }), bob.page.click('#download')]);
      assert.equal(dl2.suggestedFilename(), 'main.sh', 'the download is named for the new language');
      await ada.page.setInputFiles('#upload-file', {
        name: 'other <b>name</b>.py', mimeType: 'text/x-python', buffer: Buffer.from('print("uploaded")\r\nprint(2)\r\n'),
      });
      await waitCode(bob.page, (c) => c === 'print("uploaded")\nprint(2)\n', 'has the uploaded file again');

      const big = Buffer.alloc(1100 * 1024, 'a');
      await ada.page.setInputFiles('#upload-file', { name: 'big.py', mimeType: 'text/x-python', buffer: big });
      await ada.page.waitForFunction(() => /big\.py.*the file can hold at most \d/.test(document.getElementById('toast').textContent),
        null, { timeout: T });
      await ada.page.setInputFiles('#upload-file', { name: 'img.py', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0xff, 0xfe, 0x00]) });
      await ada.page.waitForFunction(() => /img\.py.*not a text file/.test(document.getElementById('toast').textContent),
        null, { timeout: T });
      assert.equal(await converged(ada.page, bob.page, 'after refused uploads'), 'print("uploaded")\nprint(2)\n');

      // A paste too large for one message: said so, kept as a draft, and the
      // connection stays up (sent anyway, it would close the socket, and
      // again after every reconnect).
      const joins = framesOf(ada, 'joined').length;
      await cursorEnd(ada.page);
      await ada.page.keyboard.insertText('#'.repeat(1100 * 1024));
      await ada.page.waitForFunction(() => /too large to send/.test(document.getElementById('toast').textContent), null, { timeout: T });
      await ada.page.waitForSelector('#drafts-dialog[open]', { timeout: T });
      assert.equal(await converged(ada.page, bob.page, 'after the huge paste'), 'print("uploaded")\nprint(2)\n');
      assert.equal((await ada.page.inputValue('#draft-text')).length, 'print("uploaded")\nprint(2)\n'.length + 1100 * 1024);
      assert.equal(framesOf(ada, 'joined').length, joins, 'no reconnect');
      await ada.page.click('#drafts-close');
      await ada.check();
      await bob.check();
    } finally {
      await ada.close();
      await bob.close();
    }
  });

  test('every width from desktop to phone: the top bar\'s controls neither overlap nor leave the screen', async () => {
    const ada = await member(server, { viewport: { width: 1280, height: 800 } });
    try {
      await openSolo(ada, server);
      await share(ada, 'Ada');
      const problems = await layoutProblems(ada.page, [1280, 1180, 1000, 961, 900, 820, 781, 760, 700, 641, 600, 390, 360],
        '.topbar .brand, .topbar button, .topbar select, .topbar .conn');
      assert.deepEqual(problems, []);
      await ada.check();
    } finally {
      await ada.close();
    }
  });

  test('a reader\'s editor head: the file tab shows whole beside the role chip, the sync state and the hint', async () => {
    const { ada, bob } = await roomOfTwo(server);
    try {
      await bob.page.waitForSelector('#role-chip:not([hidden])', { timeout: T });
      const problems = [];
      for (const width of [1400, 1280, 1100, 1000, 900, 820, 390]) {
        await bob.page.setViewportSize({ width, height: 800 });
        await bob.page.waitForFunction((w) => window.innerWidth === w, width, { timeout: T });
        const tabs = await bob.page.evaluate(() => {
          const t = document.getElementById('tabs');
          return { scroll: t.scrollWidth, client: t.clientWidth };
        });
        // one tab: nothing to scroll to, so the tab must not be cut
        if (tabs.scroll > tabs.client) problems.push(`${width}px: the main.py tab is cut (${tabs.scroll} > ${tabs.client})`);
      }
      assert.deepEqual(problems, []);
      await bob.check();
    } finally {
      await ada.close();
      await bob.close();
    }
  });

  test('a link to a room that does not exist: a readable page on a phone, in the IDE\'s colours, with a way out', async () => {
    // a phone's browser: lays a page out 980 px wide unless it says otherwise
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (msg) => {
      // the page's own 404 is the one console line (the browser logs it)
      if (msg.type() === 'error' && !/status of 404/.test(msg.text())) problems.push(`console error: ${msg.text()}`);
    });
    try {
      const res = await page.goto(`${server.url}/editor/aaaaaaaaaaaaaaaaaaaa`, { timeout: 60000 });
      assert.equal(res.status(), 404);
      const look = await page.evaluate(() => ({
        layoutWidth: document.documentElement.clientWidth,
        // the canvas takes the root's background, else the body's, else white
        background: [document.documentElement, document.body].map((e) => getComputedStyle(e).backgroundColor)
          .find((c) => !/rgba\(0, 0, 0, 0\)|transparent/.test(c)) || 'rgb(255, 255, 255)',
        h1: document.querySelector('h1')?.textContent,
        home: document.querySelector('a[href="/"]')?.textContent,
      }));
      // laid out for the phone's width, not zoomed out from 980 px
      assert.equal(look.layoutWidth, 390, 'a viewport for phones');
      // dark like the IDE around it, not a bare white page
      const [r, g, b] = look.background.match(/\d+/g).map(Number);
      assert.ok(r + g + b < 150, `a dark background: ${look.background}`);
      assert.equal(look.h1, 'No such room');
      assert.ok(look.home, 'a link to start on one\'s own');
      await page.screenshot({ path: path.join(ARTIFACTS, 'room-not-found.png') });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('phone: the room panels fold away and open on demand, nothing overflows', async () => {
    const phone = { width: 390, height: 844 };
    const { ada, bob } = await roomOfTwo(server, { viewport: phone, code: 'print("small screen")\n' });
    try {
      for (const p of [ada.page, bob.page]) {
        assert.equal(await p.getAttribute('#people-toggle', 'aria-expanded'), 'false', 'people folded');
        assert.equal(await p.getAttribute('#chat-toggle', 'aria-expanded'), 'false', 'chat folded');
        assert.ok(await p.locator('#members').isHidden());
        assert.ok(await p.locator('#chat-log').isHidden());
        for (const sel of ['#run', '#stop', '#share', '#download', '#upload', '#editor', '#terminal', '#people-toggle', '#chat-toggle']) {
          const box = await p.locator(sel).boundingBox();
          assert.ok(box && await p.locator(sel).isVisible(), `${sel} is visible`);
          assert.ok(box.x >= 0 && box.x + box.width <= phone.width + 0.5, `${sel} fits the width: ${JSON.stringify(box)}`);
          assert.ok(box.y >= 0 && box.y + Math.min(box.height, 30) <= phone.height, `${sel} is on screen: ${JSON.stringify(box)}`);
        }
        assert.ok(await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth) <= 0, 'no horizontal scrolling');
      }
      await waitMembers(ada.page, ['Ada', 'Bob'], 'phone list');
      assert.equal(await ada.page.locator('#people-count').innerText(), '2');

      // Chat opens (and focuses its input); a line goes out; the other sees a badge.
      await ada.page.click('#chat-toggle');
      assert.equal(await ada.page.getAttribute('#chat-toggle', 'aria-expanded'), 'true');
      assert.equal(await ada.page.evaluate(() => document.activeElement.id), 'chat-input');
      await ada.page.keyboard.type('hello from a phone');
      await ada.page.keyboard.press('Enter');
      await bob.page.waitForSelector('#chat-unread:not([hidden])', { timeout: T });
      assert.equal(await bob.page.locator('#chat-unread').innerText(), '1');
      await bob.page.click('#chat-toggle');
      await bob.page.waitForSelector('#chat-unread', { state: 'hidden', timeout: T });
      assert.equal(await bob.page.$eval('#chat-log .chat-text', (e) => e.textContent), 'hello from a phone');

      // One panel at a time; the editor and the terminal keep room.
      await ada.page.click('#people-toggle');
      assert.equal(await ada.page.getAttribute('#chat-toggle', 'aria-expanded'), 'false');
      assert.ok(await ada.page.locator('#members').isVisible());
      await ada.page.click('#people-toggle');
      await ada.page.click('#chat-toggle');
      for (const sel of ['#editor', '#terminal']) {
        const box = await ada.page.locator(sel).boundingBox();
        assert.ok(box.height >= 80, `${sel} keeps room with the chat open: ${box.height}px`);
      }
      assert.ok(await ada.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth) <= 0, 'no horizontal scrolling');
      await ada.page.click('#run');
      await waitForTerminal(bob.page, /small screen/);
      await waitForStatus(ada.page, 'ok');
      await ada.page.screenshot({ path: path.join(ARTIFACTS, 'room-phone-chat.png') });
      await bob.page.click('#chat-toggle');
      await bob.page.screenshot({ path: path.join(ARTIFACTS, 'room-phone-reader.png') });
      await ada.check();
      await bob.check();
    } finally {
      await ada.close();
      await bob.close();
    }
  });
});

describe('rooms: resync keeps a recovery draft', () => {
  let server;
  // The shortest log the server keeps (100 updates, a push's worth): a
  // member who misses more must resync.
  before(async () => { server = await startServer({ args: ['--room-log', '100'] }); });
  after(async () => { if (server) await server.stop(); });

  test('too much happened while offline: the document reloads, my unsent text is a draft I can copy or re-apply', async () => {
    const { ada, bob } = await roomOfTwo(server, { code: 'base\n', open: true });
    try {
      await waitRoom(bob.page, (r) => r.role === 'writer', 'Bob is a writer');
      await ada.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
      await ada.context.setOffline(true);
      await ada.page.waitForSelector('#sync[data-state="offline"]', { timeout: T });
      await cursorEnd(ada.page);
      await ada.page.keyboard.type('my unsent words');
      await waitRoom(ada.page, (r) => r.unconfirmed > 0, 'Ada has unsent edits');

      // Bob makes more updates than the server keeps (one per keystroke).
      const bobs = 'abcdefghijklmnopqrstuvwxyz'.repeat(5);
      await cursorEnd(bob.page);
      await bob.page.keyboard.type(bobs);
      await waitRoom(bob.page, (r) => r.unconfirmed === 0 && r.sync === 'synced' && r.version >= 130, 'Bob synced');

      const since = ada.frames.length;
      await ada.context.setOffline(false);
      await ada.page.waitForSelector('#drafts-dialog[open]', { timeout: T });
      assert.equal(framesOf(ada, 'resync', since).length, 1, 'the server answered the pull with a resync');
      assert.equal(await converged(ada.page, bob.page, 'after the resync'), `base\n${bobs}`);
      assert.equal(await ada.page.inputValue('#draft-text'), 'base\nmy unsent words', 'the draft is my text');
      assert.match(await ada.page.locator('#drafts-desc').innerText(), /changed too much/);
      await ada.page.screenshot({ path: path.join(ARTIFACTS, 'room-recovery-draft.png') });

      await ada.page.click('#draft-copy');
      await ada.page.waitForFunction(() => document.getElementById('drafts-status').textContent === 'Copied.', null, { timeout: T });
      assert.equal(await ada.page.evaluate(() => navigator.clipboard.readText()), 'base\nmy unsent words');

      // It survives a reload (kept per room).
      await ada.page.click('#drafts-close');
      await ada.page.reload();
      await waitRoom(ada.page, (r) => r.joined, 'Ada back');
      await ada.page.waitForSelector('#drafts-button:not([hidden])', { timeout: T });
      await ada.page.click('#drafts-button');
      assert.equal(await ada.page.inputValue('#draft-text'), 'base\nmy unsent words');

      // Re-applied, it is an ordinary edit of mine: everyone gets it.
      await ada.page.click('#draft-apply');
      assert.equal(await converged(ada.page, bob.page, 'after re-applying the draft'), 'base\nmy unsent words');
      await ada.page.click('#draft-discard');
      await ada.page.waitForSelector('#drafts-dialog', { state: 'hidden', timeout: T });
      assert.ok(await ada.page.locator('#drafts-button').isHidden());
      await ada.check();
      await bob.check();
    } finally {
      await ada.close();
      await bob.close();
    }
  });
});

describe('rooms: the server is killed and comes back', () => {
  test('kill -9 while a member types: the page says so, keeps the edits, reconnects on its own; they land once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-browser-kill-'));
    let server = await startServer({ dataDir: dir });
    const { port } = server;
    const { ada, bob } = await roomOfTwo(server, { code: 'before\n', open: true });
    try {
      await waitRoom(bob.page, (r) => r.role === 'writer', 'Bob is a writer');
      await bob.page.fill('#chat-input', 'seen before the kill');
      await bob.page.keyboard.press('Enter');
      await ada.page.waitForFunction(() => document.querySelectorAll('#chat-log .chat-line').length === 1, null, { timeout: T });

      assert.equal(await server.kill(), 137, 'killed by SIGKILL');
      for (const p of [ada.page, bob.page]) {
        await p.waitForSelector('#conn:not([data-state="connected"])', { timeout: T });
        await p.waitForSelector('#sync[data-state="offline"]', { timeout: T });
      }
      await cursorEnd(ada.page);
      await ada.page.keyboard.type('typed while the server was down');
      await waitRoom(ada.page, (r) => r.unconfirmed > 0, 'Ada has unsent edits');

      server = await startServer({ dataDir: dir, listen: `127.0.0.1:${port}` });
      for (const p of [ada.page, bob.page]) await p.waitForSelector('#conn[data-state="connected"]', { timeout: T });
      const text = await converged(ada.page, bob.page, 'after the restart');
      assert.equal(text, 'before\ntyped while the server was down');
      assert.equal((await bob.page.evaluate(() => window.coderoom.room)).role, 'writer', 'roles survive');
      for (const p of [ada.page, bob.page]) {
        assert.deepEqual(await p.$$eval('#chat-log .chat-text', (els) => els.map((e) => e.textContent)), ['seen before the kill']);
      }
      await ada.check();
      await bob.check();
    } finally {
      await ada.close();
      await bob.close();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rooms: the server restarts gracefully', () => {
  test('SIGTERM and start again: members keep typing and rejoin on their own', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-browser-restart-'));
    let server = await startServer({ dataDir: dir });
    const { port } = server;
    const { ada, bob } = await roomOfTwo(server, { code: 'v1\n', open: true });
    try {
      await waitRoom(bob.page, (r) => r.role === 'writer', 'Bob is a writer');
      assert.equal(await server.stop(), 0, 'a clean exit');
      await ada.page.waitForSelector('#sync[data-state="offline"]', { timeout: T });
      await cursorEnd(ada.page);
      await ada.page.keyboard.type('v2');
      server = await startServer({ dataDir: dir, listen: `127.0.0.1:${port}` });
      for (const p of [ada.page, bob.page]) await waitRoom(p, (r) => r.joined, 'back in the room');
      assert.equal(await converged(ada.page, bob.page, 'after the restart'), 'v1\nv2');
      await ada.check();
      await bob.check();
    } finally {
      await ada.close();
      await bob.close();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rooms: told to leave', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { if (server) await server.stop(); });

  // The server says "removed: closing" when it stops (docs/protocol.md).
  // The socket here goes through a proxy in the page's network stack
  // (playwright's routeWebSocket) that can say it, as a server would.
  test('removed because the server closes: the page joins again when the connection is back', async () => {
    const ada = await member(server);
    const links = [];
    await ada.page.routeWebSocket(/\/ws$/, (ws) => { links.push({ ws, srv: ws.connectToServer() }); });
    try {
      await openSolo(ada, server);
      await share(ada, 'Ada');
      const id = (await ada.page.evaluate(() => window.coderoom.room)).me.id;
      const { ws, srv } = links.at(-1);
      ws.send(JSON.stringify({ type: 'removed', reason: 'closing' }));
      await waitRoom(ada.page, (r) => !r.joined, 'out of the room');
      await ws.close({ code: 1001, reason: 'server shutting down' });
      await srv.close();
      await waitRoom(ada.page, (r) => r.joined, 'back in the room');
      assert.equal((await ada.page.evaluate(() => window.coderoom.room)).me.id, id, 'the same member');
      assert.ok(links.length >= 2, 'a new connection');
      await ada.check();
    } finally {
      await ada.close();
    }
  });
});

describe('rooms: a room with a long chat', () => {
  let server;
  before(async () => { server = await startServer({ args: ['--room-rate', '1000'] }); });
  after(async () => { if (server) await server.stop(); });

  test('a member who opens the room sees the last 200 chat lines, oldest first', async () => {
    const id = await createRoom(server.url, { code: 'print("chatty")\n' });
    // 205 lines from four members (each socket takes 64 messages a second).
    const writers = [];
    for (let w = 0; w < 4; w++) writers.push(await joinRoom(server.wsUrl, id, `w${w}`));
    for (let n = 1; n <= 205; n++) writers[n % 4].send({ type: 'chat', text: `line ${n}` });
    for (const c of writers) await roundTrip(c);
    const ada = await member(server);
    try {
      await join(ada, `${server.url}/editor/${id}`, 'Ada');
      await ada.page.waitForFunction(() => document.querySelectorAll('#chat-log .chat-line').length === 200, null, { timeout: T });
      // The room's order is the server's (ids), as every member heard it.
      const heard = writers[0].events.filter((e) => e.kind === 'json' && e.msg.type === 'chat').map((e) => e.msg);
      assert.equal(heard.length, 205);
      const want = heard.sort((x, y) => x.id - y.id).slice(-200).map((l) => `${l.name}: ${l.text}`);
      const shown = await ada.page.$$eval('#chat-log .chat-line', (els) => els.map((e) =>
        `${e.querySelector('.chat-name').textContent}: ${e.querySelector('.chat-text').textContent}`));
      assert.deepEqual(shown, want, 'the last 200 lines, oldest first');
      // ... and one more arrives live at the bottom, the oldest scrolls out.
      writers[0].send({ type: 'chat', text: 'line 206' });
      await ada.page.waitForFunction(() => document.querySelector('#chat-log .chat-line:last-child .chat-text')?.textContent === 'line 206',
        null, { timeout: T });
      assert.equal(await ada.page.locator('#chat-log .chat-line').count(), 200);
      await ada.check();
    } finally {
      await ada.close();
      for (const c of writers) await c.close().catch(() => {});
    }
  });
});
