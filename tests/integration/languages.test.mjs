// languages.test.mjs - the language table: every language it lists runs
// its example inside the sandbox (compile step included), one test each,
// and one whose toolchain is missing fails naming the package 'make test'
// installs; a missing toolchain is listed as unavailable, compiled
// artefacts are cached by content, and the IDE's /ws and the seed
// /ws/execute compile first too.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, repoRoot } from '../lib/server.mjs';
import { CoderoomClient, ExecuteClient, getJSON, postJSON } from '../lib/clients.mjs';

let srv;
const tableFiles = fs.readdirSync(path.join(repoRoot, 'languages')).filter((f) => f.endsWith('.json'));
before(async () => { srv = await startServer({ args: ['--api-concurrency', '4'] }); });
after(async () => { assert.equal(await srv?.stop(), 0); });

test('GET /api/languages lists every language of the table, with versions', async () => {
  const r = await getJSON(srv.url + '/api/languages');
  assert.equal(r.status, 200);
  const ids = r.json.map((l) => l.id);
  assert.equal(r.json.length, tableFiles.length, `listed ${ids}`);
  assert.ok(r.json.length >= 20, 'at least 20 languages in the table');
  for (const l of r.json) {
    assert.equal(typeof l.name, 'string');
    assert.equal(typeof l.editor, 'string');
    assert.ok(l.editor.length > 0, `${l.id} has a CodeMirror mode`);
    if (l.available) assert.match(l.version, /^\d+(\.\d+)*$/, `${l.id} version '${l.version}'`);
    else assert.ok(l.reason, `${l.id} unavailable with a reason`);
  }
  const py = r.json.find((l) => l.id === 'python');
  assert.ok(py.available && py.aliases.includes('py3'));
});

// One test per language of the table, named after it. 'make test'
// installs every toolchain the table names (languages/*.json "packages",
// scripts/setup.sh --test), so a language that is unavailable here is a
// failure that says which package is missing, not a shorter list.
const table = tableFiles.map((f) => JSON.parse(fs.readFileSync(path.join(repoRoot, 'languages', f), 'utf8')));
describe('every language of the table runs its example', { concurrency: 4 }, () => {
  let listed, examples;
  before(async () => {
    listed = new Map((await getJSON(srv.url + '/api/languages')).json.map((l) => [l.id, l]));
    const hello = await CoderoomClient.connect(srv.wsUrl);
    examples = new Map(hello.hello.languages.map((l) => [l.id, l.example]));
    await hello.close();
  });
  for (const t of table) {
    const pkgs = t.packages || [];
    test(t.id, { skip: !pkgs.length && 'no Debian package is named for it (nothing installs it)' }, async () => {
      const l = listed.get(t.id);
      assert.ok(l, `${t.id} is listed by /api/languages`);
      assert.ok(l.available, `${t.id} is unavailable (${l.reason}); 'make test' installs ${pkgs.join(' ')} (make languages)`);
      const code = examples.get(t.id);
      assert.ok(code, `${t.id} has an example`);
      const r = await postJSON(srv.url + '/api/runs', { language: t.id, code, stdin: 'World\n' }, { timeout: 120000 });
      const run = r.json?.run;
      assert.equal(r.status, 200, `${t.id}: ${r.text.slice(0, 600)}`);
      assert.equal(run?.status, 'ok', `${t.id}: ${JSON.stringify(r.json?.compile?.stderr ?? '').slice(0, 300)} ${JSON.stringify(run).slice(0, 400)}`);
      assert.match(run.stdout, /Hello/, `${t.id} prints its greeting`);
      if (l.compiled) assert.equal(r.json.compile?.status, 'ok', `${t.id} reports its compile step`);
      else assert.equal(r.json.compile, null);
    });
  }
});

test('a missing toolchain is listed as unavailable, and refused with a reason', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-langs-'));
  fs.copyFileSync(path.join(repoRoot, 'languages/python.json'), path.join(dir, 'python.json'));
  fs.writeFileSync(path.join(dir, 'cobol.json'), JSON.stringify({
    id: 'cobol', name: 'COBOL', file: 'main.cob', editor: 'cobol',
    compile: ['/usr/bin/no-such-cobc', '-x', 'main.cob'], collect: ['main'],
    run: ['/work/main'], version_command: ['/usr/bin/no-such-cobc', '--version'],
  }));
  const s2 = await startServer({ args: ['--languages-dir', dir] });
  try {
    const r = await getJSON(s2.url + '/api/languages');
    const cob = r.json.find((l) => l.id === 'cobol');
    assert.ok(cob, 'listed, not dropped');
    assert.equal(cob.available, false);
    assert.match(cob.reason, /no-such-cobc/);
    const run = await postJSON(s2.url + '/api/runs', { language: 'cobol', code: 'x' });
    assert.equal(run.status, 400);
    assert.equal(run.json.field, 'language');
    assert.match(run.json.error, /not available/);
  } finally {
    assert.equal(await s2.stop(), 0);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const C_HELLO = '#include <stdio.h>\nint main(void){ printf("v=%d\\n", V); return 0; }\n';

test('the compile cache: unchanged code skips the compiler, other flags do not', async () => {
  const a = await postJSON(srv.url + '/api/runs', { language: 'c', code: C_HELLO, compile_flags: '-DV=1' });
  assert.equal(a.status, 200, a.text);
  assert.equal(a.json.run.stdout, 'v=1\n');
  assert.equal(a.json.compile.cached, false);
  const b = await postJSON(srv.url + '/api/runs', { language: 'c', code: C_HELLO, compile_flags: '-DV=1' });
  assert.equal(b.json.run.stdout, 'v=1\n');
  assert.equal(b.json.compile.cached, true, 'second run served from the cache');
  const c = await postJSON(srv.url + '/api/runs', { language: 'c', code: C_HELLO, compile_flags: '-DV=2' });
  assert.equal(c.json.compile.cached, false, 'other flags: compiled again');
  assert.equal(c.json.run.stdout, 'v=2\n');
  // a cache hit shows the compiler's warnings again
  const warn = { language: 'c', code: 'int main(void) { int unused_one; return 0; }\n' };
  const w1 = await postJSON(srv.url + '/api/runs', warn);
  const w2 = await postJSON(srv.url + '/api/runs', warn);
  assert.match(w1.json.compile.stderr, /unused_one/);
  assert.equal(w2.json.compile.cached, true);
  assert.equal(w2.json.compile.stderr, w1.json.compile.stderr);
  const h = await getJSON(srv.url + '/api/health');
  assert.ok(h.json.compile_cache.hits >= 1);
  // the cache lives under the data dir
  assert.ok(fs.readdirSync(path.join(srv.dataDir, 'compile-cache')).length >= 2);
});

test('a compile error is reported as such and the run step is skipped', async () => {
  const r = await postJSON(srv.url + '/api/runs', { language: 'c', code: 'int main(void) { return x; }\n' });
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'compile_error');
  assert.equal(r.json.compile.exit_code, 1);
  assert.match(r.json.compile.stderr, /error: .x. undeclared/);
  assert.equal(r.json.run, null);
});

test('the IDE (/ws) compiles first: compiler output in the terminal, then the run', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run('#include <stdio.h>\nint main(void){ char n[64]; printf("name? "); fflush(stdout);\n' +
      'if (scanf("%63s", n) == 1) printf("hi %s\\n", n); return 0; }\n', { language: 'c' });
    await c.waitOutput('name? ', { timeout: 30000 });
    c.input('Ada\r');
    const ex = await c.waitExit({ timeout: 30000 });
    assert.equal(ex.status, 'ok');
    assert.match(c.out, /hi Ada/);
  } finally { await c.close(); }
  const d = await CoderoomClient.connect(srv.wsUrl);
  try {
    await d.run('int main(void) { return nope; }\n', { language: 'c' });
    const ex = await d.waitExit({ timeout: 30000 });
    assert.equal(ex.status, 'compile_error');
    assert.match(d.out, /nope/, 'the compiler message reached the terminal');
  } finally { await d.close(); }
});

test('/ws/execute compiles first too', async () => {
  const c = await ExecuteClient.connect(srv.wsUrl);
  try {
    c.execute('fn main() { println!("from rust"); }\n', 'rust');
    const done = await c.waitType('complete', { timeout: 60000 });
    assert.equal(done.exit_code, 0, JSON.stringify(c.messages));
    assert.match(c.stdout, /from rust/);
  } finally { c.close(); }
});

test('the IDE hello lists languages with editor modes and examples', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    const langs = c.hello.languages;
    for (const id of ['python', 'c', 'cpp', 'java', 'rust', 'go', 'javascript']) {
      const l = langs.find((x) => x.id === id);
      assert.ok(l, id);
      assert.ok(l.editor && typeof l.example === 'string' && l.example.length > 0, id);
      assert.equal(typeof l.available, 'boolean');
    }
  } finally { await c.close(); }
});
