// api-runs.test.mjs - the native batch API: POST /api/runs, its
// validation, limits, test cases, admission control and API tokens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import WebSocket from 'ws';
import { getJSON, httpRequest, postJSON, waitUntil } from '../lib/clients.mjs';

let srv;
before(async () => { srv = await startServer({ args: ['--max-body-bytes', '200000'] }); });
after(async () => { assert.equal(await srv?.stop(), 0); });

const runs = (body, opts) => postJSON(srv.url + '/api/runs', body, opts);

test('a run: stdin, args, separate and interleaved output, exit code, times', async () => {
  const r = await runs({
    language: 'python',
    code: 'import sys\nprint("out", input(), sys.argv[1:])\nprint("err", file=sys.stderr)\nsys.exit(3)\n',
    stdin: 'abc\n', args: ['x', 'y z'],
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.language, 'python');
  assert.match(r.json.version, /^3\./);
  assert.equal(r.json.compile, null);
  const run = r.json.run;
  assert.equal(run.status, 'runtime_error');
  assert.equal(run.exit_code, 3);
  assert.equal(run.signal, null);
  assert.equal(run.stdout, "out abc ['x', 'y z']\n");
  assert.equal(run.stderr, 'err\n');
  assert.ok(run.output.includes("out abc") && run.output.includes('err\n'));
  assert.equal(run.stdout_truncated, false);
  for (const k of ['cpu_ms', 'wall_ms', 'memory_bytes']) assert.equal(typeof run[k], 'number', k);
  assert.ok(run.wall_ms > 0);
});

test('files: the first is the entry point, others keep their names; base64 and hex', async () => {
  const helper = Buffer.from('def greet(n):\n    return "hi " + n\n').toString('base64');
  const r = await runs({
    language: 'python',
    files: [
      { name: 'whatever.py', content: 'import helper\nprint(helper.greet(open("data.bin","rb").read().hex()))\n' },
      { name: 'helper.py', content: helper, encoding: 'base64' },
      { name: 'data.bin', content: '00ff10', encoding: 'hex' },
    ],
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.run.stdout, 'hi 00ff10\n');
});

test('test cases: compiled once, each case run and compared', async () => {
  const r = await runs({
    language: 'c',
    code: '#include <stdio.h>\nint main(void){ int a, b; if (scanf("%d %d", &a, &b) != 2) return 1; printf("%d\\n", a + b); return 0; }\n',
    tests: [
      { stdin: '1 2\n', expected_output: '3' },
      { stdin: '10 20', expected_output: '30\n\n' },
      { stdin: '2 2\n', expected_output: '5\n' },
      { stdin: 'oops' },
    ],
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.compile.status, 'ok');
  assert.equal(r.json.tests.length, 4);
  assert.deepEqual(r.json.tests.map((t) => t.passed), [true, true, false, null]);
  assert.equal(r.json.tests[2].run.stdout, '4\n');
  assert.equal(r.json.tests[3].run.exit_code, 1);
  assert.equal(r.json.passed, 2);
  assert.equal(r.json.failed, 1);
  const h = await getJSON(srv.url + '/api/health');
  assert.ok(h.json.compile_cache.hits >= 3, 'cases 2..4 used the artefact of case 1');
});

test('a compiled program is exec\'d as ./main with its args verbatim, stdin and exit code', async () => {
  // languages/c.json runs ["./main", "{args}"]: no shell in between, so
  // nothing in an argument is expanded and the exit code is the program's
  const r = await runs({
    language: 'c',
    code: '#include <stdio.h>\nint main(int c, char **v) { char b[64]; for (int i = 0; i < c; i++) printf("[%s]", v[i]); if (fgets(b, sizeof b, stdin)) printf("%s", b); return 7; }\n',
    args: ['a b', '$HOME', '*', '"q"', ''], stdin: 'in\n',
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.run.stdout, '[./main][a b][$HOME][*]["q"][]in\n');
  assert.equal(r.json.run.exit_code, 7);
  assert.equal(r.json.run.status, 'runtime_error');
});

test('a compile error stops test cases before any run', async () => {
  const r = await runs({ language: 'cpp', code: 'int main() { syntax error }', tests: [{ stdin: '' }, { stdin: '' }] });
  assert.equal(r.json.status, 'compile_error');
  assert.match(r.json.compile.stderr, /error/);
  assert.deepEqual(r.json.tests.map((t) => t.run), [null, null]);
});

test('limits: a request may lower them; the cut is clean and flagged', async () => {
  const wall = await runs({ language: 'python', code: 'import time\ntime.sleep(10)', limits: { wall_ms: 300 } });
  assert.equal(wall.json.run.status, 'wall_limit');
  assert.match(wall.json.run.message, /wall time limit of 300 ms/);
  // cut: it ended before its own 10 s sleep would have (the program's
  // own wall time starts at its exec, after the limit's timer did)
  assert.ok(wall.json.run.wall_ms < 10000, `wall_ms ${wall.json.run.wall_ms}`);
  const out = await runs({ language: 'python', code: 'import sys\nwhile True: sys.stdout.write("x" * 1000)', limits: { output_bytes: 5000 } });
  assert.equal(out.json.run.status, 'output_limit');
  assert.equal(out.json.run.stdout.length, 5000, 'the output up to the cap is kept');
  assert.equal(out.json.run.stdout_truncated, true);
  const mem = await runs({ language: 'python', code: 'b = bytearray(300 * 1024 * 1024)\nprint(len(b))', limits: { memory_bytes: 64 * 1024 * 1024 } });
  assert.equal(mem.json.run.status, 'memory_limit', JSON.stringify(mem.json.run));
  const cpu = await runs({ language: 'python', code: 'while True: pass', limits: { cpu_ms: 300 } });
  assert.equal(cpu.json.run.status, 'cpu_limit');
});

test('the JVM runs under the cgroup memory limit', async () => {
  const r = await runs({
    language: 'java',
    code: 'public class Main { public static void main(String[] a) { System.out.println(Runtime.getRuntime().maxMemory() > 0 ? "ok" : "no"); } }',
    limits: { memory_bytes: 256 * 1024 * 1024 },
  }, { timeout: 60000 });
  assert.equal(r.json.run?.status, 'ok', r.text.slice(0, 1500));
  assert.equal(r.json.run.stdout, 'ok\n');
});

test('every invalid request gets a 400 naming the field', async () => {
  const cases = [
    [{}, 'language'],
    [{ language: 42, code: '' }, 'language'],
    [{ language: 'klingon', code: '' }, 'language'],
    [{ language: 'python' }, 'files'],
    [{ language: 'python', code: 1 }, 'code'],
    [{ language: 'python', code: '', files: [] }, 'files'],
    [{ language: 'python', files: [{ name: 'a.py' }] }, 'files[0].content'],
    [{ language: 'python', files: [{ content: '' }, { content: '' }] }, 'files[1].name'],
    [{ language: 'python', files: [{ content: '' }, { name: '../x', content: '' }] }, 'files[1].name'],
    [{ language: 'python', files: [{ content: '' }, { name: 'main.py', content: '' }] }, 'files[1].name'],
    [{ language: 'python', files: [{ content: '!!', encoding: 'base64' }] }, 'files[0].content'],
    [{ language: 'python', files: [{ content: '' }, { name: 'b', content: 'zz', encoding: 'hex' }] }, 'files[1].content'],
    [{ language: 'python', files: [{ content: '', encoding: 'rot13' }] }, 'files[0].encoding'],
    [{ language: 'python', code: '', stdin: 5 }, 'stdin'],
    [{ language: 'python', code: '', args: 'x' }, 'args'],
    [{ language: 'python', code: '', args: [1] }, 'args[0]'],
    [{ language: 'python', code: '', version: '2.x' }, 'version'],
    [{ language: 'python', code: '', compile_flags: '-O2' }, 'compile_flags'],
    [{ language: 'python', code: '', limits: { wall_ms: -1 } }, 'limits.wall_ms'],
    [{ language: 'python', code: '', limits: { wall_ms: 10 ** 12 } }, 'limits.wall_ms'],
    [{ language: 'python', code: '', limits: { banana: 1 } }, 'limits.banana'],
    [{ language: 'python', code: '', limits: [] }, 'limits'],
    [{ language: 'c', code: '', compile_limits: { memory_bytes: 10 ** 15 } }, 'compile_limits.memory_bytes'],
    [{ language: 'python', code: '', tests: [] }, 'tests'],
    [{ language: 'python', code: '', tests: [{ stdin: 1 }] }, 'tests[0]'],
    [{ language: 'python', code: '', colour: 'blue' }, 'colour'],
  ];
  for (const [body, field] of cases) {
    const r = await runs(body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} -> ${r.status} ${r.text}`);
    assert.equal(r.json.field, field, `${JSON.stringify(body)} -> ${r.text}`);
    assert.equal(typeof r.json.error, 'string');
  }
  for (const raw of ['', 'nope', '[1,2]', '"x"', '{"language": "python", "language": "c"}']) {
    const r = await runs(raw);
    assert.equal(r.status, 400, raw);
    assert.ok(r.json?.error, raw);
  }
  const big = await runs({ language: 'python', code: 'x' * 1 + 'y'.repeat(300000) });
  assert.equal(big.status, 413);
  const get = await getJSON(srv.url + '/api/runs');
  assert.equal(get.status, 405);
  // and the server still works
  const ok = await runs({ language: 'python', code: 'print(6*7)', version: '3.x' });
  assert.equal(ok.json.run.stdout, '42\n');
});

test('admission control: a bounded queue, then 503 with Retry-After', async () => {
  const s = await startServer({ args: ['--api-concurrency', '1', '--api-queue', '1'] });
  try {
    // one running, one waiting (each step seen in /api/health), then
    // three more find the queue full
    const body = { language: 'python', code: 'import time\ntime.sleep(3)\nprint("done")' };
    const q = async (want) => waitUntil(async () => {
      const h = (await getJSON(s.url + '/api/health')).json.queue;
      return h.running === want.running && h.waiting === want.waiting;
    }, { timeout: 20000, what: JSON.stringify(want) });
    const first = postJSON(s.url + '/api/runs', body, { timeout: 30000 });
    await q({ running: 1, waiting: 0 });
    const second = postJSON(s.url + '/api/runs', body, { timeout: 30000 });
    await q({ running: 1, waiting: 1 });
    const busy = await Promise.all([0, 1, 2].map(() => postJSON(s.url + '/api/runs', body, { timeout: 30000 })));
    for (const r of busy) {
      assert.equal(r.status, 503, r.text);
      assert.equal(r.headers['retry-after'], '1');
      assert.match(r.json.error, /\w/);
    }
    const ok = await Promise.all([first, second]);
    for (const r of ok) {
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.run.stdout, 'done\n');
    }
    const h = await getJSON(s.url + '/api/health');
    assert.deepEqual(h.json.queue, { running: 0, waiting: 0, slots: 1, max_waiting: 1 });
  } finally { assert.equal(await s.stop(), 0); }
});

test('API tokens: 401 JSON without a valid one; Bearer or X-Api-Token', async () => {
  const s = await startServer({ args: ['--api-token', 's3cret'] });
  try {
    const body = { language: 'python', code: 'print(1)' };
    const none = await postJSON(s.url + '/api/runs', body);
    assert.equal(none.status, 401);
    assert.match(none.json.error, /token/);
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    const bad = await postJSON(s.url + '/api/runs', body, { headers: { Authorization: 'Bearer nope' } });
    assert.equal(bad.status, 401);
    assert.match(bad.json.error, /token/);
    const good = await postJSON(s.url + '/api/runs', body, { headers: { Authorization: 'Bearer s3cret' } });
    assert.equal(good.status, 200);
    assert.equal(good.json.run.stdout, '1\n');
    const hdr = await postJSON(s.url + '/api/runs', body, { headers: { 'X-Api-Token': 's3cret' } });
    assert.equal(hdr.status, 200);
    assert.equal(hdr.json.run.stdout, '1\n');
    const piston = await postJSON(s.url + '/api/v2/execute', { language: 'python', version: '*', files: [{ content: '' }] });
    assert.equal(piston.status, 401);
    assert.match(piston.json.message, /token/);
    const seed = await postJSON(s.url + '/api/execute', { code: 'print(1)' });
    assert.equal(seed.status, 401);
    assert.match(seed.json.error, /token/);
    assert.equal((await getJSON(s.url + '/api/languages')).status, 200, 'listing stays open');
    const h = await getJSON(s.url + '/api/health');
    assert.equal(h.json.api_tokens, true);
    // Piston's WebSocket: an error, then 4002; with the token it runs
    const ws = async (headers) => new Promise((resolve, reject) => {
      const w = new WebSocket(s.wsUrl + '/api/v2/connect', { headers });
      const msgs = [];
      w.on('open', () => w.send(JSON.stringify({ type: 'init', language: 'bash', version: '*', files: [{ content: 'echo ok' }] })));
      w.on('message', (m) => msgs.push(JSON.parse(m.toString())));
      w.on('close', (code) => resolve({ code, msgs }));
      w.on('error', reject);
    });
    const denied = await ws({});
    assert.equal(denied.code, 4002);
    assert.match(denied.msgs[0].message, /token/);
    const allowed = await ws({ Authorization: 'Bearer s3cret' });
    assert.equal(allowed.code, 4999, JSON.stringify(allowed.msgs));
  } finally { assert.equal(await s.stop(), 0); }
});

test('GET /api/health reports the sandbox, the queue and the languages', async () => {
  const h = await getJSON(srv.url + '/api/health');
  assert.equal(h.status, 200);
  assert.equal(typeof h.json.sandbox.strong, 'boolean');
  assert.ok(h.json.queue.slots >= 1);
  assert.ok(h.json.languages.available >= 1);
  assert.ok(h.json.compile_cache);
  void httpRequest;
});

test('random and mutated bodies never crash the server (runs and Piston)', async () => {
  let seed = 12345;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const atoms = [null, true, false, 0, -1, 1.5, 2 ** 53, '', 'python', 'c', '*', '3.x', 'x'.repeat(300), '\u0000', '../x',
    [], {}, [''], [{}], [{ content: 'print(1)' }], [{ name: 'a/b', content: '' }], { wall_ms: 0 }, { pids: -3 }, [{ stdin: 'x', expected_output: 1 }]];
  const keys = ['language', 'version', 'code', 'files', 'stdin', 'args', 'compile_flags', 'limits', 'compile_limits', 'tests',
    'run_timeout', 'compile_timeout', 'run_memory_limit', 'run_cpu_time', 'encoding'];
  const codes = new Set();
  for (let i = 0; i < 150; i++) {
    const body = {};
    const n = 1 + rnd(5);
    for (let k = 0; k < n; k++) body[keys[rnd(keys.length)]] = atoms[rnd(atoms.length)];
    if (rnd(2)) { body.language = 'python'; body.version = '*'; }
    if (rnd(3) === 0) { body.code = 'print(1)'; delete body.files; }
    const path = rnd(2) ? '/api/runs' : '/api/v2/execute';
    const r = await postJSON(srv.url + path, body, { timeout: 30000 });
    codes.add(r.status);
    assert.ok([200, 400, 413].includes(r.status), `${path} ${JSON.stringify(body)} -> ${r.status} ${r.text}`);
    assert.ok(r.json, `${path} answered JSON`);
  }
  assert.ok(codes.has(400));
  const ok = await runs({ language: 'python', code: 'print("alive")' });
  assert.equal(ok.json.run.stdout, 'alive\n');
});
