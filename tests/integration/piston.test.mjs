// piston.test.mjs - Piston v2 compatibility: the real piston-client npm
// package, raw HTTP with Piston's field names, messages and status codes,
// and the /api/v2/connect WebSocket with its close codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { piston } from 'piston-client';
import { startServer } from '../lib/server.mjs';
import { getJSON, httpRequest, postJSON, waitUntil } from '../lib/clients.mjs';

let srv, client;
before(async () => {
  srv = await startServer({ args: ['--batch-output-bytes', '4096'] });
  client = piston({ server: srv.url });
});
after(async () => { assert.equal(await srv?.stop(), 0); });

const execute = (body, opts) => postJSON(srv.url + '/api/v2/execute', body, opts);

test('piston-client: runtimes() lists Piston names and semver versions', async () => {
  const rts = await client.runtimes();
  assert.ok(Array.isArray(rts), JSON.stringify(rts));
  const byLang = new Map(rts.map((r) => [r.language, r]));
  for (const name of ['python', 'javascript', 'c', 'c++', 'bash']) assert.ok(byLang.has(name), name);
  for (const r of rts) {
    assert.match(r.version, /^\d+\.\d+\.\d+$/, `${r.language} ${r.version}`);
    assert.ok(Array.isArray(r.aliases));
  }
  assert.ok(byLang.get('python').aliases.includes('py'));
  assert.ok(byLang.get('c++').aliases.includes('cpp'));
  assert.equal(byLang.get('c++').runtime, 'gcc');
});

test('piston-client: execute(language, code) runs it (its default args 1 2 3)', async () => {
  const r = await client.execute('python', 'import sys\nprint("hi", sys.argv[1:])');
  assert.equal(r.language, 'python', JSON.stringify(r));
  assert.match(r.version, /^3\./);
  assert.equal(r.run.stdout, "hi ['1', '2', '3']\n");
  assert.equal(r.run.code, 0);
  assert.equal(r.run.signal, null);
  assert.equal(r.run.status, null);
  assert.equal(r.run.output, r.run.stdout);
  assert.equal(r.compile, undefined, 'no compile stage for python');
});

test('piston-client: a compiled language, stdin and a compile error', async () => {
  const ok = await client.execute('c++', '#include <iostream>\nint main(){std::string s; std::cin >> s; std::cout << s << s << std::endl;}',
    { stdin: 'ab' });
  assert.equal(ok.compile.code, 0, JSON.stringify(ok));
  assert.equal(ok.run.stdout, 'abab\n');
  const bad = await client.execute({ language: 'c', version: '*', files: [{ name: 'x.c', content: 'int main(void) { oops }' }] });
  assert.notEqual(bad.compile.code, 0);
  assert.equal(bad.compile.status, 'RE');
  assert.match(bad.compile.stderr, /oops/);
  assert.deepEqual(bad.run, bad.compile, 'run is a copy of compile when compilation fails');
});

test('raw: no Content-Type at all is fine; version selectors and aliases', async () => {
  const body = JSON.stringify({ language: 'py', version: '3.x', files: [{ content: 'print(input())' }], stdin: 'x' });
  const r = await httpRequest(srv.url + '/api/v2/execute', { method: 'POST', body, headers: { 'Content-Length': Buffer.byteLength(body) } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.run.stdout, 'x\n');
  assert.equal(r.json.language, 'python');
  for (const [language, version, canonical] of [['python3', '*', 'python'], ['javascript', '>=10', 'javascript'], ['js', '*', 'javascript'], ['cpp', '12.x', 'c++']]) {
    const x = await execute({ language, version, files: [{ content: language.startsWith('j') ? 'console.log(1)' : language === 'cpp' ? '#include <cstdio>\nint main(){ std::puts("1"); }' : 'print(1)' }] });
    assert.equal(x.status, 200, `${language} ${version}: ${x.text}`);
    assert.equal(x.json.language, canonical, x.text);
    assert.equal(x.json.run.stdout, '1\n', `${language} ${version}: ${x.text}`);
  }
});

test("raw: Piston's error messages for bad jobs", async () => {
  const f = [{ content: 'print(1)' }];
  const cases = [
    [{}, 'language is required as a string'],
    [{ language: 'python' }, 'version is required as a string'],
    [{ language: 'python', version: '*' }, 'files is required as an array'],
    [{ language: 'python', version: '*', files: [{}] }, 'files[0].content is required as a string'],
    [{ language: 'python', version: '1.0.0', files: f }, 'python-1.0.0 runtime is unknown'],
    [{ language: 'brainfuck', version: '*', files: f }, 'brainfuck-* runtime is unknown'],
    [{ language: 'python', version: '*', files: [{ content: 'AA==', encoding: 'base64' }] }, 'files must include at least one utf8 encoded file'],
    [{ language: 'python', version: '*', files: f, run_timeout: 'soon' }, 'If specified, run_timeout must be a number'],
    [{ language: 'python', version: '*', files: f, run_timeout: 10 ** 9 }, /^run_timeout cannot exceed the configured limit of \d+$/],
    [{ language: 'python', version: '*', files: f, run_memory_limit: -5 }, 'run_memory_limit must be non-negative'],
  ];
  for (const [body, msg] of cases) {
    const r = await execute(body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} -> ${r.status} ${r.text}`);
    if (msg instanceof RegExp) assert.match(r.json.message, msg);
    else assert.equal(r.json.message, msg);
  }
  const minus1 = await execute({ language: 'python', version: '*', files: f, run_timeout: -1, run_memory_limit: -1 });
  assert.equal(minus1.status, 200, '-1 means the server limit');
});

test("raw: Piston's status codes TO, SG, RE, OL", async () => {
  const to = await execute({ language: 'python', version: '*', files: [{ content: 'while True: pass' }], run_timeout: 400 });
  assert.equal(to.json.run.status, 'TO');
  assert.equal(to.json.run.signal, 'SIGKILL');
  assert.equal(to.json.run.code, null);
  const sg = await execute({ language: 'python', version: '*', files: [{ content: 'import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)' }] });
  assert.equal(sg.json.run.status, 'SG');
  assert.equal(sg.json.run.signal, 'SIGSEGV');
  const re = await execute({ language: 'bash', version: '*', files: [{ content: 'exit 7' }] });
  assert.equal(re.json.run.status, 'RE');
  assert.equal(re.json.run.code, 7);
  assert.equal(re.json.run.message, 'Exited with error status 7');
  const ol = await execute({ language: 'python', version: '*', files: [{ content: 'print("y" * 100000)' }] });
  assert.equal(ol.json.run.status, 'OL');
  assert.equal(ol.json.run.stdout.length, 4096, 'output kept up to the cap');
  for (const k of ['cpu_time', 'wall_time', 'memory']) assert.equal(typeof re.json.run[k], 'number');
});

/* A /api/v2/connect client: resolves with {msgs, code, reason} at close. */
function connect(steps, { timeout = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(srv.wsUrl + '/api/v2/connect');
    const msgs = [];
    const t = setTimeout(() => { ws.terminate(); reject(new Error(`timeout: ${JSON.stringify(msgs)}`)); }, timeout);
    ws.on('open', () => steps(ws, msgs));
    ws.on('message', (m) => msgs.push(JSON.parse(m.toString())));
    ws.on('close', (code, reason) => { clearTimeout(t); resolve({ msgs, code, reason: reason.toString() }); });
    ws.on('error', reject);
  });
}
const send = (ws, o) => ws.send(JSON.stringify(o));

test('ws: init, stdin data, streaming stdout, exit, close 4999', async () => {
  const r = await connect((ws, msgs) => {
    send(ws, { type: 'init', language: 'python', version: '*', files: [{ content: 'x = input()\nprint("got " + x)' }] });
    waitUntil(() => msgs.some((m) => m.type === 'stage' && m.stage === 'run')).then(() =>
      send(ws, { type: 'data', stream: 'stdin', data: 'hello\n' }));
  });
  assert.equal(r.code, 4999);
  assert.equal(r.reason, 'Job Completed');
  assert.deepEqual(r.msgs[0], { type: 'runtime', language: 'python', version: r.msgs[0].version });
  const out = r.msgs.filter((m) => m.type === 'data' && m.stream === 'stdout').map((m) => m.data).join('');
  assert.equal(out, 'got hello\n');
  const exit = r.msgs.find((m) => m.type === 'exit');
  assert.equal(exit.stage, 'run');
  assert.equal(exit.code, 0);
  assert.equal(exit.signal, null);
});

test('ws: a compiled language reports its compile stage', async () => {
  const r = await connect((ws) => send(ws, { type: 'init', language: 'c', version: '*', files: [{ content: '#include <stdio.h>\nint main(void){puts("c!");return 0;}' }] }));
  const types = r.msgs.map((m) => m.type + (m.stage ? ':' + m.stage : ''));
  assert.deepEqual(types.filter((t) => t !== 'data'), ['runtime', 'stage:compile', 'exit:compile', 'stage:run', 'exit:run'], types.join());
  assert.equal(r.code, 4999);
});

test('ws: signal reaches the program', async () => {
  const r = await connect((ws, msgs) => {
    send(ws, { type: 'init', language: 'python', version: '*', files: [{ content: 'import signal, time\nsignal.signal(signal.SIGUSR1, lambda *a: (print("usr1", flush=True), exit(5)))\nprint("ready", flush=True)\ntime.sleep(20)' }] });
    waitUntil(() => msgs.some((m) => m.type === 'data' && m.data.includes('ready'))).then(() =>
      send(ws, { type: 'signal', signal: 'SIGUSR1' }));
  });
  const exit = r.msgs.find((m) => m.type === 'exit');
  assert.equal(exit.code, 5, JSON.stringify(r.msgs));
  assert.ok(r.msgs.some((m) => m.type === 'data' && m.data.includes('usr1')));
  const k = await connect((ws, msgs) => {
    send(ws, { type: 'init', language: 'bash', version: '*', files: [{ content: 'echo up; sleep 20' }] });
    waitUntil(() => msgs.some((m) => m.type === 'data')).then(() => send(ws, { type: 'signal', signal: 'SIGKILL' }));
  });
  assert.equal(k.msgs.find((m) => m.type === 'exit').signal, 'SIGKILL');
});

test('ws: close codes 4000, 4001, 4002, 4003, 4004, 4005', async () => {
  const init = { type: 'init', language: 'bash', version: '*', files: [{ content: 'sleep 5' }] };
  const timeout = await connect(() => {});
  assert.equal(timeout.code, 4001);
  assert.equal(timeout.reason, 'Initialization Timeout');
  const twice = await connect((ws) => { send(ws, init); send(ws, init); });
  assert.deepEqual([twice.code, twice.reason], [4000, 'Already Initialized']);
  const bad = await connect((ws) => send(ws, { type: 'init', language: 'python' }));
  assert.deepEqual([bad.code, bad.reason], [4002, 'Notified Error']);
  assert.deepEqual(bad.msgs, [{ type: 'error', message: 'version is required as a string' }]);
  const early = await connect((ws) => send(ws, { type: 'data', stream: 'stdin', data: 'x' }));
  assert.deepEqual([early.code, early.reason], [4003, 'Not yet initialized']);
  const wrong = await connect((ws) => { send(ws, init); send(ws, { type: 'data', stream: 'stdout', data: 'x' }); });
  assert.deepEqual([wrong.code, wrong.reason], [4004, 'Can only write to stdin']);
  const sig = await connect((ws) => { send(ws, init); send(ws, { type: 'signal', signal: 'SIGNOPE' }); });
  assert.deepEqual([sig.code, sig.reason], [4005, 'Invalid signal']);
  const junk = await connect((ws) => ws.send('{nope'));
  assert.equal(junk.code, 4002);
  assert.equal(junk.msgs[0].type, 'error');
  // the runs of those sockets are gone
  await waitUntil(async () => (await getJSON(srv.url + '/api/health')).json.runs_active === 0, { timeout: 10000, what: 'no runs left' });
});
