// seed.test.mjs - the seed-compatible endpoints: WebSocket /ws/execute,
// POST/GET /api/execute, POST /run_code (batch runs on pipes).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { ExecuteClient, health, httpRequest, postJSON, waitNoRuns } from '../lib/clients.mjs';

const BATCH_OUTPUT = 20000;
let srv;
before(async () => {
  srv = await startServer({
    args: ['--batch-wall-ms', '3000', '--batch-cpu-ms', '10000', '--batch-output-bytes', String(BATCH_OUTPUT)],
  });
});
after(async () => { await srv?.stop(); });

test('/ws/execute: stdout and stderr separate, input_request with prompt, complete, close 1000', async () => {
  const c = await ExecuteClient.connect(srv.wsUrl);
  c.execute(`import sys
print('out1')
print('err1', file=sys.stderr)
name = input('who? ')
print('hello ' + name)
`, 'python');
  const req = await c.waitType('input_request', { timeout: 15000 });
  assert.equal(req.prompt, 'who? ');
  c.send({ type: 'input_response', data: 'Bob' }); // no newline: the server adds it
  const done = await c.waitType('complete', { timeout: 15000 });
  assert.equal(done.exit_code, 0);
  assert.equal(typeof done.execution_time, 'number');
  assert.ok(done.execution_time > 0 && done.execution_time < 30, `execution_time in seconds: ${done.execution_time}`);
  // the prompt is output too; a server may also leave it to input_request only
  assert.ok(['out1\nwho? hello Bob\n', 'out1\nhello Bob\n'].includes(c.stdout), JSON.stringify(c.stdout));
  assert.equal(c.stderr, 'err1\n');
  const idxComplete = c.messages.findIndex((m) => m.type === 'complete');
  const idxLastOut = c.messages.findLastIndex((m) => m.type === 'output');
  assert.ok(idxLastOut < idxComplete, 'all output before complete');
  const cl = await c.waitClose();
  assert.equal(cl.code, 1000);
});

test('/ws/execute: output streams before the program ends; exit code reported', async () => {
  const c = await ExecuteClient.connect(srv.wsUrl);
  // the program cannot go on (or end) before it gets our answer, so its
  // first line must arrive while it still runs: no clock involved
  c.execute("import sys\nprint('first', flush=True)\nsys.stdin.readline()\nprint('second')\nsys.exit(4)\n");
  // output frames may split a line ('first' then '\n'): wait for the whole line
  await c.waitFor((e, cl) => e.kind === 'json' && e.msg.type === 'output' && cl.stdout.includes('first\n'),
    { timeout: 15000, what: 'first line' });
  assert.equal(c.stdout, 'first\n');
  assert.ok(!c.messages.some((m) => m.type === 'complete'), 'not complete before the answer');
  await c.waitType('input_request', { timeout: 15000 });
  c.send({ type: 'input_response', data: 'go' });
  const done = await c.waitType('complete', { timeout: 15000 });
  assert.equal(done.exit_code, 4);
  assert.equal(c.stdout, 'first\nsecond\n');
  assert.equal((await c.waitClose()).code, 1000);
});

test('/ws/execute: input_response with a newline, several prompts', async () => {
  const c = await ExecuteClient.connect(srv.wsUrl);
  c.execute("a = input('a: ')\nb = input('b: ')\nprint(int(a) * int(b))\n");
  assert.equal((await c.waitType('input_request', { timeout: 15000 })).prompt, 'a: ');
  const n = c.events.length;
  c.send({ type: 'input_response', data: '6\n' });
  const r2 = await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'input_request' && e.msg, { since: n, timeout: 10000, what: 'second input_request' });
  assert.equal(r2.prompt, 'b: ');
  c.send({ type: 'input_response', data: '7' });
  await c.waitType('complete', { timeout: 10000 });
  assert.ok(['a: b: 42\n', '42\n'].includes(c.stdout), JSON.stringify(c.stdout));
});

test('/ws/execute: bad messages get {"type":"error"} and a fresh socket still works', async () => {
  const c = await ExecuteClient.connect(srv.wsUrl);
  c.send('{not json');
  const e1 = await c.waitType('error', { timeout: 5000 });
  assert.equal(typeof e1.message, 'string');
  assert.ok(e1.message.length > 0);
  c.terminate();
  const d = await ExecuteClient.connect(srv.wsUrl);
  d.send({ type: 'execute' }); // no code
  const e2 = await d.waitType('error', { timeout: 5000 });
  assert.ok(e2.message.length > 0);
  d.terminate();
  const ok = await ExecuteClient.connect(srv.wsUrl);
  ok.execute("print('still fine')");
  await ok.waitType('complete', { timeout: 15000 });
  assert.equal(ok.stdout, 'still fine\n');
});

const RESULT_KEYS = ['success', 'output', 'error', 'status', 'return_code', 'stdout', 'stderr', 'wall_ms', 'cpu_ms'];

function assertResultShape(j) {
  for (const k of RESULT_KEYS) assert.ok(k in j, `result has "${k}": ${JSON.stringify(j)}`);
  assert.equal(typeof j.success, 'boolean');
  assert.equal(typeof j.wall_ms, 'number');
  assert.equal(typeof j.cpu_ms, 'number');
  assert.equal(j.output, j.stdout);
  assert.equal(j.error, j.stderr);
}

test('POST /api/execute: completed run', async () => {
  const r = await postJSON(srv.url + '/api/execute', { code: "import sys\nprint('hi')\nprint('warn', file=sys.stderr)\n", language: 'python' });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers['content-type'], /application\/json/);
  assertResultShape(r.json);
  assert.equal(r.json.success, true);
  assert.equal(r.json.status, 'completed');
  assert.equal(r.json.return_code, 0);
  assert.equal(r.json.stdout, 'hi\n');
  assert.equal(r.json.stderr, 'warn\n');
});

test('POST /api/execute: stdin is the program\'s input; language optional', async () => {
  const r = await postJSON(srv.url + '/api/execute', {
    code: 'import sys\ndata = sys.stdin.read()\nprint(data.upper(), end="")\nprint(sys.stdin.isatty())\n', stdin: 'abc\ndef\n',
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.output, 'ABC\nDEF\nFalse\n');
  assert.equal(r.json.status, 'completed');
});

test('POST /api/execute: non-zero exit is status error, success false', async () => {
  const r = await postJSON(srv.url + '/api/execute', { code: "import sys\nsys.stderr.write('bad thing')\nsys.exit(2)\n" });
  assert.equal(r.status, 200, r.text);
  assertResultShape(r.json);
  assert.equal(r.json.success, false);
  assert.equal(r.json.status, 'error');
  assert.equal(r.json.return_code, 2);
  assert.equal(r.json.error, 'bad thing');
});

test('POST /api/execute: batch wall limit gives timeout', async () => {
  const r = await postJSON(srv.url + '/api/execute', { code: "import time\nprint('start', flush=True)\ntime.sleep(1000)\n" }, { timeout: 30000 });
  assert.equal(r.status, 200, r.text);
  assertResultShape(r.json);
  assert.equal(r.json.status, 'timeout');
  assert.equal(r.json.success, false);
  assert.equal(r.json.output, 'start\n', 'output before the limit is kept');
  assert.equal(r.json.message, 'wall time limit of 3 s exceeded');
  await waitNoRuns(srv);
});

test('POST /api/execute: batch output limit gives output_limit, output capped', async () => {
  const r = await postJSON(srv.url + '/api/execute', { code: "while True:\n    print('y' * 99)\n" }, { timeout: 30000 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'output_limit', JSON.stringify({ ...r.json, output: r.json.output?.length }));
  assert.ok(r.json.output.length <= BATCH_OUTPUT + 4096, `output ${r.json.output.length} bytes, limit ${BATCH_OUTPUT}`);
  assert.ok(r.json.output.length >= BATCH_OUTPUT / 2);
});

test('GET /api/execute: health shape', async () => {
  const r = await httpRequest(srv.url + '/api/execute');
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'ok');
  assert.equal(typeof r.json.message, 'string');
  assert.equal(typeof r.json.platform, 'string');
});

test('POST /run_code: same result shape', async () => {
  const r = await postJSON(srv.url + '/run_code', { code: 'print(6 * 7)' });
  assert.equal(r.status, 200, r.text);
  assertResultShape(r.json);
  assert.equal(r.json.success, true);
  assert.equal(r.json.output, '42\n');
  assert.equal(r.json.status, 'completed');
});

test('POST /api/execute: unknown language is a 4xx JSON error', async () => {
  const r = await postJSON(srv.url + '/api/execute', { code: 'x', language: 'klingon' });
  assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}: ${r.text}`);
  assert.equal(typeof r.json?.error, 'string', r.text);
});

test('API requests run concurrently', async () => {
  // four programs that sleep (below the 3 s batch wall limit): seen
  // running at the same time in /api/health, not one after another
  let most = 0;
  const all = Promise.all([1, 2, 3, 4].map((i) =>
    postJSON(srv.url + '/api/execute', { code: `import time\ntime.sleep(2.5)\nprint(${i})\n` }, { timeout: 30000 })));
  let done = false;
  all.then(() => { done = true; }, () => { done = true; });
  while (!done && most < 4) {
    most = Math.max(most, (await health(srv.url)).runs_active);
  }
  const rs = await all;
  rs.forEach((r, i) => assert.equal(r.json?.output, `${i + 1}\n`, r.text));
  assert.equal(most, 4, 'all four were running at once');
});

test('/ws/execute is interactive: the batch output cap (--batch-output-bytes) does not cut it', async () => {
  // The server runs with a 20 kB batch output cap; a person at /ws/execute
  // gets the interactive limits (their output cap is 16 MiB by default).
  const c = await ExecuteClient.connect(srv.wsUrl);
  c.execute(`import sys\nsys.stdout.write('x' * ${4 * BATCH_OUTPUT})\n`, 'python');
  const done = await c.waitType('complete', { timeout: 30000 });
  assert.equal(done.status, 'ok', JSON.stringify(done));
  assert.equal(c.stdout.length, 4 * BATCH_OUTPUT);
});
