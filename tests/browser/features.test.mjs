// features.test.mjs - the IDE beyond one file, in a real browser (Debian's
// chromium, playwright-core) against the real server: projects of several
// files (tabs, entry file, dialogs, reload), the project as a ZIP and back,
// program arguments and prepared input, live memory while a program
// allocates, the history of runs, settings that survive a reload, Vim key
// bindings, code from a prompt (the stand-in model endpoint of
// tests/lib/model.mjs) that streams in and goes with one Ctrl-Z, the
// shortcuts panel, and the phone layout. Screenshots go to tests/artifacts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, startServer } from '../lib/server.mjs';
import { startModel } from '../lib/model.mjs';
import {
  ARTIFACTS, T, collectProblems, gotoConnected, launchChromium, layoutProblems, setCode, terminalText,
  waitForStatus, waitForTerminal,
} from './lib.mjs';

const { readZip } = await import(pathToFileURL(path.join(repoRoot, 'web/src/zip.js')));

let server;
let model;
let browser;

before(async () => {
  model = await startModel({ scenario: 'slow:openai' });
  server = await startServer({ args: ['--ai-url', model.url, '--ai-model', 'test-coder', '--ai-rate', '1000'] });
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
  if (model) await model.stop();
});

async function openIde(viewport = { width: 1280, height: 800 }, { context: ctx = null, url = server.url } = {}) {
  const context = ctx || await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems = collectProblems(page);
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  await gotoConnected(page, `${url}/`);
  return { context, page, problems };
}

const tabs = (page) => page.$$eval('#tabs [role="tab"]', (ts) => ts.map((t) => ({
  name: t.dataset.name, selected: t.getAttribute('aria-selected') === 'true', label: t.getAttribute('aria-label'),
})));

async function selectLanguage(page, id) {
  await page.selectOption('#language', id);
  await page.waitForFunction((l) => window.coderoom.project.names.length > 0 && document.getElementById('language').value === l, id, { timeout: T });
}

// The file dialog: type a name, submit; 'error' expected instead when given.
async function fileDialog(page, name, error = null) {
  await page.waitForSelector('#file-dialog[open]', { timeout: T });
  await page.fill('#file-name-input', name);
  await page.keyboard.press('Enter');
  if (error) {
    await page.waitForFunction((re) => new RegExp(re).test(document.getElementById('file-error').textContent), error.source, { timeout: T });
    return;
  }
  await page.waitForSelector('#file-dialog', { state: 'hidden', timeout: T });
}

describe('the IDE\'s new panels in chromium', () => {
  test('a C project: three files in tabs, every one built, the entry marked', async () => {
    const { context, page, problems } = await openIde();
    try {
      await selectLanguage(page, 'c');
      const t = await tabs(page);
      assert.deepEqual(t.map((x) => x.name), ['main.c', 'util.c', 'util.h']);
      assert.equal(t[0].selected, true);
      assert.match(t[0].label, /entry file/);
      assert.doesNotMatch(t[1].label, /entry/);
      assert.equal(await page.locator('#tabs [role="tab"]').first().locator('.tab-entry').count(), 1, 'the entry is marked');
      // Alt+2 shows util.c, with its own text
      await page.click('#editor .cm-content');
      await page.keyboard.press('Alt+2');
      await page.waitForFunction(() => window.coderoom.project.active === 'util.c', null, { timeout: T });
      assert.match(await page.evaluate(() => window.coderoom.code), /void draw_bar/);
      // the run builds main.c + util.c (main calls draw_bar)
      await page.click('#run');
      await waitForTerminal(page, /What's your name\? /, 120000);
      await page.click('#terminal .xterm-screen');
      await page.keyboard.type('Grace');
      await page.keyboard.press('Enter');
      await waitForTerminal(page, /Done![\s\S]*Grace/, 60000);
      assert.match(await waitForStatus(page, 'ok', 60000), /exited with code 0/i);
      assert.match(await terminalText(page), /\[#{30}\] 100%/, 'util.c drew the bar');
      await page.screenshot({ path: path.join(ARTIFACTS, 'features-project-c.png') });
      assert.deepEqual(problems, []);
    } finally { await context.close(); }
  });

  test('files by keyboard: new, a refused name, rename (F2), entry, delete and undo; all of it survives a reload', async () => {
    const { context, page, problems } = await openIde();
    try {
      await selectLanguage(page, 'python');
      await setCode(page, 'import helpers\nprint("main says", helpers.greet("Ada"))\n');
      // new file: a bad name first, then a good one
      await page.click('#file-add');
      await fileDialog(page, '../escape.py', /"\." and "\.\." are not allowed/);
      await page.fill('#file-name-input', 'main.py');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /there is a file "main.py" already/.test(document.getElementById('file-error').textContent), null, { timeout: T });
      await page.fill('#file-name-input', 'helper.py');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#file-dialog', { state: 'hidden', timeout: T });
      await page.waitForFunction(() => window.coderoom.project.active === 'helper.py', null, { timeout: T });
      await page.keyboard.insertText('def greet(n):\n    return f"hello {n}"\n');
      // rename it with F2 on its tab (the import says helpers)
      await page.focus('#tabs [role="tab"][aria-selected="true"]');
      await page.keyboard.press('F2');
      await fileDialog(page, 'helpers.py');
      assert.deepEqual((await tabs(page)).map((x) => x.name), ['main.py', 'helpers.py']);
      await page.click('#run');
      await waitForTerminal(page, /main says hello Ada/);
      await waitForStatus(page, 'ok');
      // another entry file: other.py runs first
      await page.click('#file-add');
      await fileDialog(page, 'lib/other.py');
      await page.keyboard.insertText('print("the other entry")\n');
      await page.click('#file-menu-button');
      await page.waitForSelector('#file-menu:not([hidden])');
      await page.keyboard.press('ArrowDown'); // Rename -> Make it the entry file
      await page.keyboard.press('Enter');
      assert.equal((await tabs(page))[0].name, 'lib/other.py');
      await page.click('#run');
      await waitForTerminal(page, /the other entry/);
      await waitForStatus(page, 'ok');
      // delete it (Delete on its tab, confirm), then take it back with Undo
      await page.focus('#tabs [role="tab"][aria-selected="true"]');
      await page.keyboard.press('Delete');
      await page.waitForSelector('#confirm-dialog[open]');
      await page.click('#confirm-dialog .confirm-yes');
      await page.waitForFunction(() => !window.coderoom.project.names.includes('lib/other.py'), null, { timeout: T });
      await page.click('#toast .toast-action');
      await page.waitForFunction(() => window.coderoom.project.names.includes('lib/other.py'), null, { timeout: T });
      // the project is kept in this browser
      const before = await page.evaluate(() => window.coderoom.project.files);
      await page.waitForTimeout(500); // the save is debounced
      await page.reload();
      await page.waitForSelector('#conn[data-state="connected"]', { timeout: T });
      const afterReload = await page.evaluate(() => window.coderoom.project.files);
      assert.deepEqual(afterReload, before);
      assert.deepEqual(problems, []);
    } finally { await context.close(); }
  });

  test('the project as a ZIP: download, change, upload: the same files again; Undo', async () => {
    const { context, page, problems } = await openIde();
    try {
      await selectLanguage(page, 'python');
      await setCode(page, 'from pkg import data\nprint(data.WORD)\n');
      await page.click('#file-add');
      await fileDialog(page, 'pkg/__init__.py');
      await page.click('#file-add');
      await fileDialog(page, 'pkg/data.py');
      await page.keyboard.insertText('WORD = "zip ünïcode 👋"\n');
      const want = await page.evaluate(() => window.coderoom.project.files);
      const [dl] = await Promise.all([page.waitForEvent('download', { timeout: T }), page.click('#download')]);
      assert.equal(dl.suggestedFilename(), 'coderoom-python.zip');
      const zpath = path.join(ARTIFACTS, 'features-project.zip');
      await dl.saveAs(zpath);
      const entries = await readZip(fs.readFileSync(zpath));
      assert.deepEqual(entries.map((e) => ({ name: e.name, text: new TextDecoder().decode(e.data) })), want);
      // change everything, then bring it back from the ZIP
      await page.click('#example');
      await page.waitForSelector('#confirm-dialog[open]');
      await page.click('#confirm-dialog .confirm-yes');
      await page.waitForFunction(() => window.coderoom.project.names.length === 1, null, { timeout: T });
      await page.setInputFiles('#upload-file', zpath);
      await page.waitForSelector('#confirm-dialog[open]');
      assert.match(await page.locator('#confirm-text').innerText(), /3 files replace the 1/);
      await page.click('#confirm-dialog .confirm-yes');
      await page.waitForFunction((n) => window.coderoom.project.names.length === n, want.length, { timeout: T });
      assert.deepEqual(await page.evaluate(() => window.coderoom.project.files), want);
      await page.click('#run');
      await waitForTerminal(page, /zip ünïcode 👋/);
      await waitForStatus(page, 'ok');
      // Undo brings the project the ZIP replaced
      await page.click('#toast .toast-action');
      await page.waitForFunction(() => window.coderoom.project.names.length === 1, null, { timeout: T });
      // a file that is not text is refused, with its name
      await page.setInputFiles('#upload-file', { name: 'blob.bin', mimeType: 'application/octet-stream', buffer: Buffer.from([0, 159, 146, 150]) });
      await page.waitForFunction(() => /Not added: blob\.bin \(not UTF-8 text\)/.test(document.getElementById('toast').textContent), null, { timeout: T });
      // a broken ZIP: a clear message, nothing changed
      await page.setInputFiles('#upload-file', { name: 'broken.zip', mimeType: 'application/zip', buffer: Buffer.from('PK\u0003\u0004 not really') });
      await page.waitForFunction(() => /broken\.zip cannot be opened: it is not a ZIP archive/.test(document.getElementById('toast').textContent), null, { timeout: T });
      assert.equal((await page.evaluate(() => window.coderoom.project.names)).length, 1);
      assert.deepEqual(problems, []);
    } finally { await context.close(); }
  });

  test('arguments and prepared standard input from the Input panel', async () => {
    const { context, page, problems } = await openIde();
    try {
      await setCode(page, 'import sys\nprint("args", sys.argv[1:])\nprint("tty", sys.stdin.isatty())\nfor line in sys.stdin:\n    print("read", line.strip())\n');
      await page.click('#input-toggle');
      await page.fill('#run-args', 'one "two words" \'three\'');
      await page.fill('#run-stdin', 'alpha\nbeta\n');
      assert.equal(await page.isChecked('#run-stdin-on'), true, 'typing input turns it on');
      assert.equal(await page.locator('#input-badge').innerText(), 'args + stdin');
      await page.click('#run');
      await waitForTerminal(page, /args \['one', 'two words', 'three'\][\s\S]*tty False[\s\S]*read alpha[\s\S]*read beta/);
      await waitForStatus(page, 'ok');
      // a quote never closed: the run does not start, the field says why
      await page.fill('#run-args', 'bad "quote');
      await page.click('#run');
      await page.waitForFunction(() => /never closed/.test(document.getElementById('run-args-error').textContent), null, { timeout: T });
      assert.equal(await page.locator('#status').getAttribute('data-state'), 'ok', 'nothing ran');
      // off again: the keyboard is the input
      await page.fill('#run-args', '');
      await page.uncheck('#run-stdin-on');
      await setCode(page, 'print("you said", input("say? "))\n');
      await page.click('#run');
      await waitForTerminal(page, /say\? /);
      await page.click('#terminal .xterm-screen');
      await page.keyboard.type('typed');
      await page.keyboard.press('Enter');
      await waitForTerminal(page, /you said typed/);
      await waitForStatus(page, 'ok');
      assert.deepEqual(problems, []);
    } finally { await context.close(); }
  });

  test('live resources: the memory figure grows while the program allocates; the peak stays; the limits panel', async () => {
    const { context, page, problems } = await openIde();
    try {
      await setCode(page, [
        'import time',
        'blocks = []',
        'for i in range(6):',
        '    b = bytearray(16 << 20)',
        '    for j in range(0, len(b), 4096): b[j] = 1',
        '    blocks.append(b)',
        '    print("allocated", (i + 1) * 16, "MiB", flush=True)',
        '    time.sleep(0.8)',
        'input("hold? ")',
        '',
      ].join('\n'));
      await page.click('#run');
      await page.waitForSelector('#usage:not([hidden])', { timeout: T });
      // the figure shown, sampled as it changes
      const seen = [];
      const deadline = Date.now() + 90000;
      while (Date.now() < deadline) {
        const m = Number(await page.getAttribute('#usage', 'data-memory'));
        if (m && seen[seen.length - 1] !== m) seen.push(m);
        if (m >= 90 << 20) break;
        await page.waitForTimeout(150);
      }
      assert.ok(seen.length >= 3, `several figures: ${seen}`);
      assert.ok(seen[0] < 48 << 20 && seen[seen.length - 1] >= 90 << 20, `it grew: ${seen.map((x) => (x >> 20) + 'M').join(' ')}`);
      assert.match(await page.locator('#usage-text').innerText(), /CPU [\d.]+ s · [\d.]+ MiB/);
      assert.ok(await page.$eval('#usage-spark-line', (e) => e.getAttribute('points').split(' ').length >= 2), 'the sparkline has points');
      assert.match(await page.getAttribute('#usage', 'title'), /Limits of this run: CPU time: .*Memory: /);
      await page.screenshot({ path: path.join(ARTIFACTS, 'features-usage.png') });
      await page.click('#limits-button');
      await page.waitForSelector('#limits-dialog[open]');
      const rows = await page.$$eval('#limits-table tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
      const mem = rows.find((r) => r[0] === 'Memory now');
      assert.ok(mem && /MiB/.test(mem[1]) && /MiB|GiB/.test(mem[2]), JSON.stringify(rows));
      await page.screenshot({ path: path.join(ARTIFACTS, 'features-limits.png') });
      await page.keyboard.press('Escape');
      await page.click('#stop');
      await waitForStatus(page, 'killed');
      assert.match(await page.locator('#usage-text').innerText(), /peak [\d.]+ MiB/);
      assert.match(await page.locator('#status-detail').innerText(), /peak [\d.]+ MiB/);
      assert.deepEqual(problems, []);
    } finally { await context.close(); }
  });

  test('the history: runs with verdicts; Open brings an earlier version back; Undo', async () => {
    const { context, page, problems } = await openIde();
    try {
      await setCode(page, 'print("version one")\n');
      await page.click('#run');
      await waitForStatus(page, 'ok');
      await setCode(page, 'raise SystemExit(3)\n');
      await page.click('#run');
      await waitForStatus(page, 'error');
      await page.click('#history');
      await page.waitForSelector('#history-dialog[open]');
      const items = await page.$$eval('#history-list .hist', (li) => li.map((l) => ({ status: l.dataset.status, text: l.textContent })));
      assert.equal(items.length, 2);
      assert.equal(items[0].status, 'runtime_error');
      assert.match(items[0].text, /Exited with code 3/);
      assert.equal(items[1].status, 'ok');
      assert.match(items[1].text, /Python · main\.py/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'features-history.png') });
      await page.locator('#history-list .hist').nth(1).locator('button[data-open]').click();
      await page.waitForFunction(() => window.coderoom.code === 'print("version one")\n', null, { timeout: T });
      await page.click('#toast .toast-action'); // Undo
      await page.waitForFunction(() => window.coderoom.code === 'raise SystemExit(3)\n', null, { timeout: T });
      // kept across a reload
      await page.reload();
      await page.waitForSelector('#conn[data-state="connected"]', { timeout: T });
      await page.click('#history');
      assert.equal(await page.locator('#history-list .hist').count(), 2);
      assert.deepEqual(problems, []);
    } finally { await context.close(); }
  });

  test('settings: light theme, font size, wrapping, tabs; they survive a reload', async () => {
    const { context, page, problems } = await openIde();
    try {
      assert.equal(await page.getAttribute('html', 'data-theme'), 'dark', 'dark by default');
      await page.click('#settings');
      await page.waitForSelector('#settings-dialog[open]');
      await page.check('#settings-form input[value="light"]');
      await page.$eval('#set-font', (e) => { e.value = '18'; e.dispatchEvent(new Event('input', { bubbles: true })); });
      await page.selectOption('#set-indent', 'tab');
      await page.check('#set-wrap');
      assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
      await page.screenshot({ path: path.join(ARTIFACTS, 'features-settings.png') });
      await page.click('#settings-done');
      const check = async () => {
        assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
        assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--code-size').trim()), '18px');
        assert.ok(await page.locator('#editor .cm-content.cm-lineWrapping').count(), 'lines wrap');
        const bg = await page.evaluate(() => getComputedStyle(document.querySelector('#editor .cm-editor')).backgroundColor);
        assert.equal(bg, 'rgb(255, 255, 255)', 'the editor is light');
        // Tab indents with a tab character now
        await setCode(page, 'if True:');
        await page.keyboard.press('End');
        await page.keyboard.press('Enter');
        assert.match(await page.evaluate(() => window.coderoom.code), /^if True:\n\t/);
      };
      await check();
      await page.reload();
      await page.waitForSelector('#conn[data-state="connected"]', { timeout: T });
      await check();
      await page.click('#settings');
      assert.equal(await page.isChecked('#settings-form input[value="light"]'), true);
      assert.equal(await page.inputValue('#set-font'), '18');
      await page.click('#settings-reset');
      assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
      await page.keyboard.press('Escape');
      // "like the system" follows the system's choice
      await page.emulateMedia({ colorScheme: 'light' });
      await page.click('#settings');
      await page.check('#settings-form input[value="system"]');
      assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark', null, { timeout: T });
      assert.deepEqual(problems, []);
    } finally { await context.close(); }
  });

  test('Vim key bindings: modes, motions and edits type as in Vim', async () => {
    const { context, page, problems } = await openIde();
    try {
      await setCode(page, 'print("one")\nprint("two")\n');
      await page.click('#settings');
      await page.check('#set-vim');
      await page.click('#settings-done');
      await page.waitForSelector('#editor .cm-vim-panel', { timeout: T });
      await page.click('#editor .cm-content');
      await page.keyboard.press('Escape');
      await page.keyboard.type('gg');
      await page.keyboard.type('dd'); // delete the first line
      assert.equal(await page.evaluate(() => window.coderoom.code), 'print("two")\n');
      await page.keyboard.type('A'); // append at the end of the line
      await page.waitForFunction(() => /INSERT/.test(document.querySelector('#editor .cm-vim-panel')?.textContent || ''), null, { timeout: T });
      await page.keyboard.type('  # vim');
      await page.keyboard.press('Escape');
      await page.keyboard.type('u'); // undo the insert
      assert.equal(await page.evaluate(() => window.coderoom.code), 'print("two")\n');
      await page.keyboard.type('o');
      await page.keyboard.type('print(6 * 7)');
      await page.keyboard.press('Escape');
      assert.equal(await page.evaluate(() => window.coderoom.code), 'print("two")\nprint(6 * 7)\n');
      // Ctrl-Enter still runs
      await page.keyboard.press('Control+Enter');
      await waitForTerminal(page, /two\s+42/);
      await waitForStatus(page, 'ok');
      // and it is remembered
      await page.reload();
      await page.waitForSelector('#editor .cm-vim-panel', { timeout: T });
      assert.deepEqual(problems, []);
    } finally { await context.close(); }
  });

  test('generate: the answer streams into the editor, then Ctrl-Z takes it back in one step', async () => {
    const { context, page, problems } = await openIde();
    try {
      const original = 'print("my own program")\n';
      await setCode(page, original);
      await page.keyboard.type('# an edit of mine'); // an earlier undo step
      const mine = await page.evaluate(() => window.coderoom.code);
      assert.equal(await page.isVisible('#generate'), true, 'the server has a model: the button shows');
      await page.keyboard.press('Alt+G');
      await page.waitForSelector('#genbar:not([hidden])');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'gen-prompt');
      await page.keyboard.type('greet in two languages');
      await page.keyboard.press('Enter');
      // while it streams: the new code at the top, mine below it, dimmed
      await page.waitForFunction(() => window.coderoom.code.startsWith('# greet in two'), null, { timeout: T });
      const mid = await page.evaluate(() => window.coderoom.code);
      assert.ok(mid.endsWith(mine), 'the old program is still there while it streams');
      assert.ok(await page.locator('#editor .cm-superseded').count() > 0, 'and dimmed');
      assert.equal(await page.getAttribute('#editor .cm-content', 'aria-readonly'), 'true', 'no typing into it meanwhile');
      await page.screenshot({ path: path.join(ARTIFACTS, 'features-generate.png') });
      await page.waitForFunction(() => /lines written/.test(document.getElementById('gen-status').textContent), null, { timeout: 60000 });
      const generated = '# greet in two languages\nprint("hello, 日本 👋")\nfor i in range(3):\n    print(i)\n';
      assert.equal(await page.evaluate(() => window.coderoom.code), generated);
      assert.equal(await page.locator('#editor .cm-superseded').count(), 0);
      assert.equal(await page.getAttribute('#editor .cm-content', 'aria-readonly'), null, 'editable again');
      const sent = model.requests.at(-1).body;
      assert.equal(sent.messages[1].content.includes(mine), true, 'the current code went along');
      // Ctrl-Z: my program, in one step; once more: before my edit
      await page.click('#editor .cm-content');
      await page.keyboard.press('Control+z');
      assert.equal(await page.evaluate(() => window.coderoom.code), mine);
      await page.keyboard.press('Control+z');
      assert.notEqual(await page.evaluate(() => window.coderoom.code), mine, 'the earlier history still works');
      await page.keyboard.press('Control+y');
      await page.keyboard.press('Control+y');
      assert.equal(await page.evaluate(() => window.coderoom.code), generated, 'redo brings it again');
      // it runs
      await page.click('#run');
      await waitForTerminal(page, /hello, 日本 👋[\s\S]*0\s+1\s+2/);
      await waitForStatus(page, 'ok');
      assert.deepEqual(problems, []);
    } finally { await context.close(); }
  });

  test('generate: an error of the model endpoint says so and leaves the code as it was; Stop too', async () => {
    const { context, page, problems } = await openIde();
    try {
      const original = 'print("keep me")\n';
      await setCode(page, original);
      await page.click('#generate');
      await page.fill('#gen-prompt', 'anything [scenario:status:401]');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /refused the server's API key \(401\)/.test(document.getElementById('gen-status').textContent), null, { timeout: T });
      assert.equal(await page.evaluate(() => window.coderoom.code), original);
      await page.fill('#gen-prompt', 'then stop [scenario:slow:ollama]');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => window.coderoom.code.length > 'print("keep me")\n'.length, null, { timeout: T });
      await page.click('#gen-stop');
      await page.waitForFunction(() => /Stopped: the code is as it was/.test(document.getElementById('gen-status').textContent), null, { timeout: T });
      assert.equal(await page.evaluate(() => window.coderoom.code), original);
      await page.keyboard.press('Escape');
      await page.waitForSelector('#genbar', { state: 'hidden' });
      assert.deepEqual(problems.filter((p) => !/502|Failed to load resource/.test(p)), []);
    } finally { await context.close(); }
  });

  test('without a model endpoint the Generate button does not show', async () => {
    const plain = await startServer();
    try {
      const { context, page, problems } = await openIde(undefined, { url: plain.url });
      try {
        assert.equal(await page.isVisible('#generate'), false);
        await page.keyboard.press('Alt+G');
        assert.equal(await page.isVisible('#genbar'), false);
        assert.deepEqual(problems, []);
      } finally { await context.close(); }
    } finally { await plain.stop(); }
  });

  test('"?" lists the keyboard shortcuts; not while typing in the editor', async () => {
    const { context, page, problems } = await openIde();
    try {
      await page.click('#editor .cm-content');
      await page.keyboard.type('?');
      assert.equal(await page.isVisible('#shortcuts-dialog'), false);
      await page.focus('#run');
      await page.keyboard.press('Shift+Slash');
      await page.waitForSelector('#shortcuts-dialog[open]', { timeout: T });
      assert.match(await page.locator('#shortcuts-dialog').innerText(), /Alt\s*\+\s*G[\s\S]*Generate/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'features-shortcuts.png') });
      await page.keyboard.press('Escape');
      assert.deepEqual(problems, []);
    } finally { await context.close(); }
  });

  test('every width, Generate included: the top bar and the file tabs neither overlap nor leave the screen', async () => {
    const { context, page, problems } = await openIde();
    try {
      await selectLanguage(page, 'c');
      const bad = await layoutProblems(page,
        [1700, 1541, 1540, 1440, 1280, 1180, 1101, 1100, 1000, 961, 900, 820, 781, 760, 641, 600, 390, 360],
        '.topbar .brand, .topbar button, .topbar select, .topbar .conn, .files > *, .pane-term .pane-head > *');
      assert.deepEqual(bad, []);
      assert.deepEqual(problems, []);
    } finally { await context.close(); }
  });

  test('the phone layout: tabs, Input, usage and the dialogs fit a 390 px screen', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const { page, problems } = await openIde(undefined, { context });
    try {
      await selectLanguage(page, 'c');
      for (const sel of ['#tabs', '#file-add', '#input-toggle', '#run', '#settings', '#history', '#generate']) {
        const box = await page.locator(sel).boundingBox();
        assert.ok(box && box.width > 0 && box.x >= 0 && box.x + box.width <= 391, `${sel} is on the screen: ${JSON.stringify(box)}`);
      }
      assert.match(await page.locator('#input-toggle').innerText(), /Input/);
      const target = await page.locator('#run').boundingBox();
      assert.ok(target.height >= 40, 'a touch target');
      await page.tap('#run');
      await waitForTerminal(page, /What's your name\? /, 120000);
      await page.waitForSelector('#usage:not([hidden])', { timeout: T });
      await page.screenshot({ path: path.join(ARTIFACTS, 'features-phone.png') });
      await page.tap('#stop');
      await waitForStatus(page, 'killed');
      await page.tap('#settings');
      const dlg = await page.locator('#settings-dialog').boundingBox();
      assert.ok(dlg.x >= 0 && dlg.x + dlg.width <= 391, `the settings fit: ${JSON.stringify(dlg)}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'features-phone-settings.png') });
      assert.deepEqual(problems, []);
    } finally { await context.close(); }
  });
});
