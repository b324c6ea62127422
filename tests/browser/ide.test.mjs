// ide.test.mjs - the IDE in a real browser (Debian's chromium driven by
// playwright-core) against the real server: type code, Run, answer input()
// in the terminal, Stop, re-attach after a reload, phone layout.
//
// Environment: CODEROOM_BIN (server binary), CODEROOM_WEB_ROOT (built IDE,
// default web/dist), CHROMIUM (default /usr/bin/chromium).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import { CoderoomClient } from '../lib/clients.mjs';
import {
  ARTIFACTS, T, collectProblems, gotoConnected, launchChromium, setCode, waitForStatus, waitForTerminal,
} from './lib.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
});

// A fresh page on the IDE with a connected socket; collects page errors,
// server error frames the client logged, and requests leaving the server.
async function openIde(viewport = { width: 1280, height: 800 }, beforeLoad = null) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  if (beforeLoad) beforeLoad(page);
  const problems = collectProblems(page);
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(server.url) && !u.startsWith('data:') && !u.startsWith('ws://127.0.0.1')) problems.push(`external request: ${u}`);
  });
  await gotoConnected(page, `${server.url}/`);
  return { context, page, problems };
}

describe('coderoom IDE in chromium', () => {
  test('run a program, answer input() in the terminal, see the result', async () => {
    const { context, page, problems } = await openIde();
    try {
      const options = await page.locator('#language option').allTextContents();
      assert.ok(options.some((o) => /python/i.test(o)), `language list from hello: ${options.join(', ')}`);

      await setCode(page, [
        'print("first line from the program")',
        'name = input("name? ")',
        'print(f"hello {name}")',
        '',
      ].join('\n'));
      await page.click('#run');

      await waitForTerminal(page, /first line from the program/);
      await waitForTerminal(page, /name\? /);
      const waiting = await waitForStatus(page, 'waiting');
      assert.match(waiting, /waiting for input/i);
      assert.equal(await page.locator('#run').isDisabled(), true, 'Run is disabled while a run is active');
      assert.equal(await page.locator('#stop').isEnabled(), true, 'Stop is enabled while a run is active');

      await page.click('#terminal .xterm-screen');
      await page.keyboard.type('Ada Lovelace');
      await page.keyboard.press('Enter');

      const text = await waitForTerminal(page, /hello Ada Lovelace/);
      assert.match(text, /name\? Ada Lovelace/, 'the terminal echoed what was typed');
      const done = await waitForStatus(page, 'ok');
      assert.match(done, /exited with code 0/i);
      assert.match(await page.locator('#status-detail').innerText(), /wall/);
      assert.equal(await page.locator('#run').isEnabled(), true, 'Run is enabled again');
      await page.screenshot({ path: path.join(ARTIFACTS, 'browser-run.png') });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('the outcome of a run is readable beside its figures, on a desktop and on a phone', async () => {
    for (const viewport of [{ width: 1400, height: 850 }, { width: 1024, height: 768 }, { width: 390, height: 844 }]) {
      const { context, page, problems } = await openIde(viewport);
      try {
        await setCode(page, 'import sys\nprint("bye")\nsys.exit(3)\n');
        await page.click('#run');
        const text = await waitForStatus(page, 'error');
        assert.match(text, /exited with code 3/i);
        // the head of the terminal pane also shows the figures (wall, CPU,
        // memory) and the live usage: they give way, the outcome does not
        // (the text's own width against its box's: a fraction of a pixel
        // short is enough for the ellipsis to eat "e 3")
        const shown = await page.evaluate(() => {
          const e = document.getElementById('status-text');
          const r = document.createRange();
          r.selectNodeContents(e);
          return { box: e.getBoundingClientRect().width, text: r.getBoundingClientRect().width };
        });
        assert.ok(shown.box > 0 && shown.text <= shown.box + 0.01,
          `at ${viewport.width}px "${text}" is shown whole: ${JSON.stringify(shown)}`);
        // and the button to the run's resources and limits stays in the head
        const button = await page.evaluate(() => {
          const b = document.getElementById('limits-button').getBoundingClientRect();
          const head = document.querySelector('.pane-term .pane-head').getBoundingClientRect();
          return { left: b.left, right: b.right, width: b.width, headRight: head.right };
        });
        assert.ok(button.width > 0 && button.right <= button.headRight,
          `at ${viewport.width}px the limits button is in the head: ${JSON.stringify(button)}`);
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    }
  });

  test('text that comes without a key press (emoji picker, IME commit) reaches the program', async () => {
    const { context, page, problems } = await openIde();
    try {
      await setCode(page, 'print(repr(input("say: ")))\n');
      await page.click('#run');
      await waitForTerminal(page, /say: /);
      await page.click('#terminal .xterm-screen');
      // typed keys, then what an emoji picker or an IME commits: an input
      // event with no keydown before it (CDP Input.insertText)
      await page.keyboard.type('Zo');
      await page.keyboard.insertText('ë 李 😀');
      await page.keyboard.type('!');
      await page.keyboard.press('Enter');
      await waitForTerminal(page, /^'Zoë 李 😀!'$/m);
      assert.match(await waitForStatus(page, 'ok'), /exited with code 0/i);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('Stop ends a program that loops forever', async () => {
    const { context, page, problems } = await openIde();
    try {
      await setCode(page, 'n = 0\nprint("looping forever", flush=True)\nwhile True:\n    n += 1\n');
      await page.keyboard.press('Control+Enter');
      await waitForTerminal(page, /looping forever/);
      await waitForStatus(page, 'running');
      await page.waitForSelector('#stop:not([disabled])', { timeout: T });
      await page.click('#stop');
      const text = await waitForStatus(page, 'killed', 10000);
      assert.match(text, /killed|stopped/i);
      assert.equal(await page.locator('#run').isEnabled(), true, 'Run is enabled again');
      assert.equal(await page.locator('#stop').isDisabled(), true, 'Stop is disabled again');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('a reload re-attaches to the running program and replays its output', async () => {
    const { context, page, problems } = await openIde();
    try {
      await setCode(page, [
        'import time',
        'for i in range(1, 6):',
        '    print(f"tick {i}", flush=True)',
        '    time.sleep(0.3)',
        'answer = input("still there? ")',
        'print(f"got {answer}")',
        '',
      ].join('\n'));
      await page.click('#run');
      await waitForTerminal(page, /tick 2/);
      await page.reload();
      await page.waitForSelector('#conn[data-state="connected"]', { timeout: T });
      const replayed = await waitForTerminal(page, /still there\? /);
      assert.match(replayed, /tick 1[\s\S]*tick 5/, 'output from before the reload is replayed');
      await waitForStatus(page, 'waiting');
      await page.click('#terminal .xterm-screen');
      await page.keyboard.type('yes');
      await page.keyboard.press('Enter');
      await waitForTerminal(page, /got yes/);
      assert.match(await waitForStatus(page, 'ok'), /exited with code 0/i);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('a dropped connection reconnects and re-attaches to the run', async () => {
    const { context, page, problems } = await openIde();
    try {
      await setCode(page, 'import time\nprint("one", flush=True)\ntime.sleep(1.5)\nprint("two", flush=True)\nprint(input("more? "))\n');
      await page.click('#run');
      await waitForTerminal(page, /one/);
      await page.evaluate(() => window.coderoom.reconnect());
      await page.waitForSelector('#conn:not([data-state="connected"])', { timeout: T });
      await page.waitForSelector('#conn[data-state="connected"]', { timeout: T });
      const text = await waitForTerminal(page, /more\? /);
      assert.match(text, /one[\s\S]*two/, 'output before and during the outage is there');
      await page.click('#terminal .xterm-screen');
      await page.keyboard.type('again');
      await page.keyboard.press('Enter');
      await waitForTerminal(page, /^again$/m);
      await waitForStatus(page, 'ok');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('a flood of output reaches the end (flow-control acks keep it going)', async () => {
    const acks = [];
    const { context, page, problems } = await openIde(undefined, (p) => p.on('websocket', (ws) => ws.on('framesent', (f) => {
      if (typeof f.payload === 'string' && f.payload.includes('"type":"ack"')) acks.push(JSON.parse(f.payload).bytes);
    })));
    try {
      // ~2.7 MB: ten times the server's 256 KiB window of unacknowledged output.
      await setCode(page, 'for i in range(40000):\n    print(i, "x" * 60)\nprint("the end")\n');
      await page.click('#run');
      await waitForStatus(page, 'ok', 90000);
      await waitForTerminal(page, /39999[x\s]+the end/); // lines may wrap
      assert.ok(acks.length >= 10, `acks were sent (${acks.length})`);
      assert.ok(acks.every((b, i) => i === 0 || b > acks[i - 1]), 'acks are cumulative');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('the program sees the terminal size, and a new size when the window changes', async () => {
    const { context, page, problems } = await openIde({ width: 1280, height: 800 });
    try {
      await setCode(page, [
        'import os',
        'for _ in range(2):',
        '    size = os.get_terminal_size()',
        '    print(f"size {size.columns}x{size.lines}")',
        '    input("resize me? ")',
        '',
      ].join('\n'));
      await page.click('#run');
      await waitForStatus(page, 'waiting');
      const before = await page.evaluate(() => [window.coderoom.terminal.cols, window.coderoom.terminal.rows]);
      await waitForTerminal(page, new RegExp(`size ${before[0]}x${before[1]}`));

      await page.setViewportSize({ width: 900, height: 600 });
      await page.waitForFunction((c) => window.coderoom.terminal.cols !== c, before[0], { timeout: T });
      await page.waitForTimeout(300); // the client sends resize after 80 ms of quiet
      const now = await page.evaluate(() => [window.coderoom.terminal.cols, window.coderoom.terminal.rows]);
      await page.click('#terminal .xterm-screen');
      await page.keyboard.press('Enter');
      await waitForTerminal(page, new RegExp(`size ${now[0]}x${now[1]}`));
      await page.keyboard.press('Enter');
      await waitForStatus(page, 'ok');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('editor: Python highlighting, indentation after a colon, undo', async () => {
    const { context, page, problems } = await openIde();
    try {
      await setCode(page, '');
      await page.keyboard.type('for i in range(3):');
      await page.keyboard.press('Enter');
      await page.keyboard.type('print(i');
      // Auto-indent after ':' and the closing bracket inserted by the editor.
      assert.equal(await page.evaluate(() => window.coderoom.code), 'for i in range(3):\n    print(i)');
      const keywordColors = await page.evaluate(() => {
        const spans = [...document.querySelectorAll('#editor .cm-line span')];
        return new Set(spans.map((s) => getComputedStyle(s).color)).size;
      });
      assert.ok(keywordColors >= 2, `syntax highlighting uses several colours (${keywordColors})`);
      await page.keyboard.press('Control+Z');
      assert.notEqual(await page.evaluate(() => window.coderoom.code), 'for i in range(3):\n    print(i)', 'undo changed the text');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('phone-size screen: Run and the terminal are visible, nothing overflows', async () => {
    const { context, page, problems } = await openIde({ width: 390, height: 844 });
    try {
      for (const sel of ['#run', '#stop', '#language', '#terminal', '#editor']) {
        const box = await page.locator(sel).boundingBox();
        assert.ok(box, `${sel} is rendered`);
        assert.ok(await page.locator(sel).isVisible(), `${sel} is visible`);
        assert.ok(box.x >= 0 && box.x + box.width <= 390 + 0.5, `${sel} fits the width: ${JSON.stringify(box)}`);
        assert.ok(box.y >= 0 && box.y + Math.min(box.height, 40) <= 844, `${sel} is on screen: ${JSON.stringify(box)}`);
      }
      const term = await page.locator('#terminal').boundingBox();
      assert.ok(term.height >= 150, `terminal has room: ${term.height}px`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px too wide)`);

      await setCode(page, 'print("small screen ok")\n');
      await page.click('#run');
      await waitForTerminal(page, /small screen ok/);
      await waitForStatus(page, 'ok');
      await page.screenshot({ path: path.join(ARTIFACTS, 'browser-phone.png') });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});

describe('a full server with API tokens', () => {
  let full;
  before(async () => { full = await startServer({ args: ['--max-runs', '1', '--api-token', 'classtoken'] }); });
  after(async () => { if (full) await full.stop(); });

  test('the IDE opened with #token= connects, waits visibly in the queue, then runs', async () => {
    // someone else (another address, the same token) holds the only slot
    const other = await CoderoomClient.connect(full.wsUrl, { path: '/ws?token=classtoken', localAddress: '127.0.0.2' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    try {
      await other.run("print('holding', flush=True)\ninput()\n");
      await page.goto(`${full.url}/#token=classtoken`, { timeout: 60000 });
      await page.waitForSelector('#conn[data-state="connected"]', { timeout: T });
      await setCode(page, 'print("my turn")\n');
      await page.click('#run');
      const waiting = await waitForStatus(page, 'queued');
      assert.match(waiting, /waiting for a free slot — 0 ahead/i);
      assert.equal(await page.locator('#stop').isEnabled(), true, 'Stop leaves the queue');
      other.stop();
      await waitForTerminal(page, /my turn/);
      assert.match(await waitForStatus(page, 'ok'), /exited with code 0/i);
      await page.screenshot({ path: path.join(ARTIFACTS, 'browser-queued.png') });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
      await other.close();
    }
  });

  test('without the token the IDE does not get a session', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${full.url}/`, { timeout: 60000 });
      await page.waitForTimeout(1500);
      assert.notEqual(await page.locator('#conn').getAttribute('data-state'), 'connected');
    } finally {
      await context.close();
    }
  });
});
