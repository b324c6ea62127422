// ws-usage.test.mjs - /ws (coderoom.v1) beyond code and a terminal: live
// resource samples ("usage": true), program arguments, prepared stdin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { CoderoomClient } from '../lib/clients.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => {
  const code = await srv?.stop();
  if (srv && code !== 0) console.log(`# server exit code ${code}; log tail:\n${srv.logs().slice(-2000)}`);
});

const usages = (c, run) => c.messages.filter((m) => m.type === 'usage' && m.run === run);

// Grows by 16 MiB four times, touching every page, then waits for a line.
const GROW = [
  'import sys, time',
  'blocks = []',
  'for i in range(4):',
  '    b = bytearray(16 << 20)',
  '    for j in range(0, len(b), 4096): b[j] = 1',
  '    blocks.append(b)',
  "    print('block', i + 1, flush=True)",
  '    time.sleep(0.7)',
  "print('grown', flush=True)",
  'sys.stdin.readline()',
  '',
].join('\n');

test('usage: samples follow the memory a program allocates, at most a few a second', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    const started = await c.run(GROW, { usage: true });
    assert.equal(started.input, 'terminal');
    await c.waitOutput('grown', { timeout: 60000 });
    // a sample taken after the last block was touched
    const late = await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'usage' && e.msg.memory_bytes >= 64 << 20 && e.msg,
      { what: 'a usage sample with the 64 MiB in use', timeout: 30000 });
    c.input('\r');
    const ex = await c.waitExit({ timeout: 30000 });
    assert.equal(ex.status, 'ok');

    const u = usages(c, started.run);
    for (const s of u) {
      assert.equal(s.step, 'run');
      for (const k of ['cpu_ms', 'wall_ms', 'memory_bytes', 'memory_peak', 'pids']) {
        assert.ok(Number.isInteger(s[k]) && s[k] >= 0, `${k} is a count: ${JSON.stringify(s)}`);
      }
      assert.ok(s.memory_peak >= s.memory_bytes, `peak >= now: ${JSON.stringify(s)}`);
      assert.ok(s.pids >= 1, 'the program is a task of its run');
    }
    // memory rose while it allocated: an early sample is far below the late one
    assert.ok(u.some((s) => s.memory_bytes < 32 << 20), `a sample before most blocks: ${u.map((s) => s.memory_bytes).join(' ')}`);
    assert.ok(late.memory_peak >= 64 << 20);
    // CPU and wall time never go back
    for (let i = 1; i < u.length; i++) {
      assert.ok(u[i].cpu_ms >= u[i - 1].cpu_ms, 'cpu_ms never decreases');
      assert.ok(u[i].wall_ms > u[i - 1].wall_ms, 'wall_ms increases');
    }
    // every sample before exited; at most one per 200 ms of the run's own clock
    const exitIdx = c.messages.indexOf(ex);
    assert.ok(c.messages.findIndex((m) => m.type === 'usage' && c.messages.indexOf(m) > exitIdx) < 0, 'no usage after exited');
    assert.ok(u.length <= Math.floor(ex.wall_ms / 200) + 2, `${u.length} samples in ${ex.wall_ms} ms`);
    assert.ok(ex.memory_bytes >= 64 << 20, `the peak at exit: ${ex.memory_bytes}`);
  } finally { await c.close(); }
});

test('usage: none unless asked for', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    const started = await c.run("import time\ntime.sleep(1.2)\nprint('done')\n");
    await c.waitExit({ timeout: 30000 });
    assert.equal(usages(c, started.run).length, 0);
  } finally { await c.close(); }
});

test('usage: a compiled language samples its compile step as "compile"', async (t) => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    const cl = c.hello.languages.find((l) => l.id === 'c');
    if (!cl?.available) { t.skip('no C compiler on this host'); return; }
    // a unique program: no compile cache hit
    const code = `#include <stdio.h>\n#include <unistd.h>\nint main(void){ sleep(1); printf("ran %d\\n", ${Date.now() % 100000}); return 0; }\n`;
    const started = await c.run(code, { language: 'c', usage: true });
    const ex = await c.waitExit({ timeout: 120000 });
    assert.equal(ex.status, 'ok');
    const steps = new Set(usages(c, started.run).map((s) => s.step));
    assert.ok(steps.has('run'), `samples of the run step: ${[...steps]}`);
  } finally { await c.close(); }
});

test('usage: re-attaching with usage: true gets samples again', async () => {
  const a = await CoderoomClient.connect(srv.wsUrl);
  const started = await a.run("import time\nprint('up', flush=True)\ntime.sleep(30)\n", { usage: true });
  await a.waitOutput('up');
  await a.close({ stopRun: false });
  const b = await CoderoomClient.connect(srv.wsUrl);
  try {
    b.attach(started.run, { usage: true });
    await b.waitType('attached');
    const s = await b.waitType('usage', { timeout: 10000 });
    assert.equal(s.run, started.run);
    b.stop();
    await b.waitExit();
  } finally { await b.close(); }
});

test('args: the program gets its arguments as given', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run('import sys, json\nprint(json.dumps(sys.argv[1:], ensure_ascii=False))\n', { args: ['one', 'two words', '-x', '', 'ü €'] });
    const ex = await c.waitExit();
    assert.equal(ex.status, 'ok');
    assert.deepEqual(JSON.parse(c.out), ['one', 'two words', '-x', '', 'ü €']);
  } finally { await c.close(); }
});

test('args: refused when not an array of strings, or too many', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    for (const args of ['a b', [1], ['ok', null], Array(257).fill('x'), ['x'.repeat(4097)]]) {
      const since = c.events.length;
      c.send({ type: 'run', code: 'print(1)\n', args });
      const e = await c.waitType('error', { since });
      assert.equal(e.code, 'bad_field', JSON.stringify(args).slice(0, 80));
      assert.equal(e.field, 'args');
    }
    // a NUL inside a string never gets past the JSON parser
    const since = c.events.length;
    c.send({ type: 'run', code: 'print(1)\n', args: ['a\u0000b'] });
    assert.equal((await c.waitType('error', { since })).code, 'bad_json');
    assert.equal(c.messages.filter((m) => m.type === 'started').length, 0, 'no run started');
  } finally { await c.close(); }
});

test('stdin: the program reads the prepared text on a pipe; stderr is its own stream', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    const started = await c.run([
      'import sys',
      "print('isatty', sys.stdin.isatty(), sys.stdout.isatty())",
      'lines = sys.stdin.read().splitlines()',
      "print('got', len(lines), 'lines:', ','.join(lines))",
      "print('to stderr', file=sys.stderr)",
      '',
    ].join('\n'), { stdin: 'alpha\nbeta\n\ngamma' });
    assert.equal(started.input, 'stdin');
    const ex = await c.waitExit();
    assert.equal(ex.status, 'ok');
    assert.equal(c.out, 'isatty False False\ngot 4 lines: alpha,beta,,gamma\n', 'pipes: \\n line ends, no echo');
    assert.equal(c.stderr.toString(), 'to stderr\n');
    // the limits in force are the interactive ones, not the batch API's
    assert.equal(started.limits.wall_ms, c.hello.limits.wall_ms);
    assert.equal(started.limits.cpu_ms, c.hello.limits.cpu_ms);
  } finally { await c.close(); }
});

test('stdin: input frames after it are refused as input to a closed stdin', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run("import time\nprint('x', flush=True)\ntime.sleep(1)\n", { stdin: '' });
    await c.waitOutput('x');
    const since = c.events.length;
    c.input('more\n');
    const e = await c.waitType('error', { since });
    assert.equal(e.code, 'no_run');
    await c.waitExit();
  } finally { await c.close(); }
});

test('stdin: must be a string', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    c.send({ type: 'run', code: 'print(1)\n', stdin: 5 });
    const e = await c.waitType('error');
    assert.equal(e.field, 'stdin');
    c.send({ type: 'run', code: 'print(1)\n', usage: 'yes' });
    const e2 = await c.waitFor((ev) => ev.kind === 'json' && ev.msg.type === 'error' && ev.msg.field === 'usage' && ev.msg);
    assert.equal(e2.code, 'bad_field');
  } finally { await c.close(); }
});

test('files: a C project builds every source file; the entry is files[0]', async (t) => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    if (!c.hello.languages.find((l) => l.id === 'c')?.available) { t.skip('no C compiler on this host'); return; }
    const files = [
      { name: 'main.c', content: '#include <stdio.h>\n#include "util.h"\nint main(void){ printf("sum=%d\\n", add(2, 40)); return 0; }\n' },
      { name: 'util.c', content: '#include "util.h"\nint add(int a, int b){ return a + b; }\n' },
      { name: 'util.h', content: 'int add(int a, int b);\n' },
    ];
    await c.run(undefined, { language: 'c', files });
    const ex = await c.waitExit({ timeout: 120000 });
    assert.equal(ex.status, 'ok', c.out);
    assert.match(c.out, /sum=42/);
  } finally { await c.close(); }
});

test('files: Python imports a module and a package from subdirectories', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run(undefined, {
      files: [
        { name: 'app.py', content: 'import util\nfrom pkg import mod\nprint(util.twice(21), mod.NAME)\n' },
        { name: 'util.py', content: 'def twice(x):\n    return 2 * x\n' },
        { name: 'pkg/__init__.py', content: '' },
        { name: 'pkg/mod.py', content: 'NAME = "ünïcode"\n' },
      ],
    });
    const ex = await c.waitExit();
    assert.equal(ex.status, 'ok', c.out);
    assert.equal(c.out, '42 ünïcode\r\n');
  } finally { await c.close(); }
});

test('files: bad names and clashes are refused with the field named', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    const cases = [
      [[{ name: 'main.py', content: '' }, { name: '../x.py', content: '' }], 'files[1].name'],
      [[{ name: 'main.py', content: '' }, { name: '/etc/x', content: '' }], 'files[1].name'],
      [[{ name: 'main.py', content: '' }, { name: 'a', content: '' }, { name: 'a/b.py', content: '' }], 'files[2].name'],
      [[{ name: 'main.py', content: '' }, { name: 'main.py', content: '' }], 'files[1].name'],
      [[{ name: 'main.py', content: 5 }], 'files[0]'],
      [[{ name: 'main.py', content: '', encoding: 'base64' }], 'files[0]'],
      [[], 'files'],
      [Array.from({ length: 65 }, (_, i) => ({ name: `f${i}.py`, content: '' })), 'files'],
    ];
    for (const [files, field] of cases) {
      const since = c.events.length;
      c.send({ type: 'run', files });
      const e = await c.waitType('error', { since });
      assert.equal(e.code, 'bad_field', JSON.stringify(files).slice(0, 80));
      assert.equal(e.field, field, e.message);
    }
    const since = c.events.length;
    c.send({ type: 'run', code: 'print(1)', files: [{ name: 'a.py', content: '' }] });
    assert.equal((await c.waitType('error', { since })).field, 'files');
    assert.equal(c.messages.filter((m) => m.type === 'started').length, 0);
  } finally { await c.close(); }
});
