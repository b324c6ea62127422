// ops.test.mjs - what an operator relies on: GET /metrics (parsed by a
// real Prometheus text-format parser, and its numbers checked against
// what the test did), --log-format json (every line an object, access
// and run events with their fields), logs that never hold program output
// or an API token, and --config / CODEROOM_* / --check-config.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { repoRoot, runBinary, startServer } from '../lib/server.mjs';
import {
  CoderoomClient, ExecuteClient, httpRequest, marker, postJSON, waitNoRuns, waitUntil,
} from '../lib/clients.mjs';

const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format');

let srv;
before(async () => { srv = await startServer(); });
after(async () => { assert.equal(await srv?.stop(), 0); });

async function scrape(s = srv) {
  const r = await httpRequest(s.url + '/metrics');
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const fams = parsePrometheus(r.text);	// throws on a malformed exposition
  const byName = new Map(fams.map((f) => [f.name, f]));
  assert.equal(byName.size, fams.length, 'every family once');
  return { text: r.text, fams: byName };
}

/*
 * A histogram series read from the text itself: the npm parser folds a
 * labelled histogram's series into one. Checks the buckets are
 * cumulative and +Inf equals _count. {buckets: [[le, n]...], sum, count}
 */
function histogram(m, name, labels = {}) {
  const sel = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
  const line = (suffix, extra) => {
    const want = [sel, extra].filter(Boolean).join(',');
    const re = new RegExp(`^${name}${suffix}${want ? `\\{${want.replace(/[+.]/g, '\\$&')}\\}` : ''} (\\S+)$`, 'm');
    const x = re.exec(m.text);
    assert.ok(x, `${name}${suffix}{${want}} in /metrics`);
    return Number(x[1]);
  };
  const les = [...m.text.matchAll(new RegExp(`^${name}_bucket\\{(?:${sel ? sel.replace(/[+.]/g, '\\$&') + ',' : ''})le="([^"]+)"\\}`, 'gm'))].map((x) => x[1]);
  assert.ok(les.length > 1 && les[les.length - 1] === '+Inf', `${name}: buckets up to +Inf`);
  const buckets = les.map((le) => [le, line('_bucket', `le="${le}"`)]);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i][1] >= buckets[i - 1][1], `${name}: cumulative buckets`);
  const count = line('_count');
  assert.equal(buckets[buckets.length - 1][1], count, `${name}: +Inf bucket == _count`);
  return { buckets, sum: line('_sum'), count };
}

/* The value of the sample of 'name' whose labels include 'labels'. */
function value(m, name, labels = {}) {
  const f = m.fams.get(name);
  assert.ok(f, `family ${name} exported`);
  const s = f.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  assert.ok(s, `${name}${JSON.stringify(labels)} present`);
  return f.type === 'HISTOGRAM' ? s : Number(s.value);
}

test('/metrics: every family parses, and its numbers follow what happened', async () => {
  const m0 = await scrape();
  const want = {
    coderoom_runs_total: 'COUNTER', coderoom_run_duration_seconds: 'HISTOGRAM',
    coderoom_queue_length: 'GAUGE', coderoom_queue_wait_seconds: 'HISTOGRAM',
    coderoom_runs_active: 'GAUGE', coderoom_connections: 'GAUGE',
    coderoom_websocket_sessions: 'GAUGE', coderoom_sandbox_spawn_seconds: 'HISTOGRAM',
    coderoom_compile_cache_hits_total: 'COUNTER', coderoom_compile_cache_misses_total: 'COUNTER',
    coderoom_output_bytes_total: 'COUNTER', coderoom_spawner_restarts_total: 'COUNTER',
    coderoom_spawner_up: 'GAUGE', process_resident_memory_bytes: 'GAUGE', process_open_fds: 'GAUGE',
  };
  for (const [name, type] of Object.entries(want)) assert.equal(m0.fams.get(name)?.type, type, name);
  // a fresh server: nothing ran yet
  assert.equal(value(m0, 'coderoom_runs_total', { language: 'python', status: 'ok' }), 0);
  assert.equal(value(m0, 'coderoom_spawner_up'), 1);
  assert.equal(value(m0, 'coderoom_spawner_restarts_total'), 0);

  // three python runs through three APIs, one failing; a C program twice
  const out = 'metrics-out-' + 'x'.repeat(20);	// 32 bytes + newline
  const ok = await postJSON(srv.url + '/api/runs', { language: 'python', code: `print('${out}')` });
  assert.equal(ok.json.run.stdout, out + '\n');
  const bad = await postJSON(srv.url + '/api/execute', { code: 'import sys\nsys.exit(3)' });
  assert.equal(bad.json.return_code, 3);
  const c = await CoderoomClient.connect(srv.wsUrl);
  await c.run("print('ws')\n");
  assert.equal((await c.waitExit()).status, 'ok');
  const cc = { language: 'c', code: 'int main(void){return 0;}\n' };
  assert.equal((await postJSON(srv.url + '/api/runs', cc)).json.compile.cached, false);
  assert.equal((await postJSON(srv.url + '/api/runs', cc)).json.compile.cached, true);

  // while sockets are open: sessions by protocol, connections
  const e = await ExecuteClient.connect(srv.wsUrl);
  const m1 = await scrape();
  assert.equal(value(m1, 'coderoom_websocket_sessions', { path: '/ws' }), 1);
  assert.equal(value(m1, 'coderoom_websocket_sessions', { path: '/ws/execute' }), 1);
  assert.ok(value(m1, 'coderoom_connections') >= 3, 'two sockets and this request');
  await c.close();
  e.close();

  await waitNoRuns(srv);
  const m = await scrape();
  assert.equal(value(m, 'coderoom_runs_total', { language: 'python', status: 'ok' }), 2);
  assert.equal(value(m, 'coderoom_runs_total', { language: 'python', status: 'runtime_error' }), 1);
  assert.equal(value(m, 'coderoom_runs_total', { language: 'c', status: 'ok' }), 2);
  assert.equal(value(m, 'coderoom_runs_started_total'), 5);
  assert.equal(value(m, 'coderoom_runs_active'), 0);
  const dur = histogram(m, 'coderoom_run_duration_seconds', { language: 'python' });
  assert.equal(dur.count, 3);
  assert.ok(dur.sum > 0);
  assert.equal(histogram(m, 'coderoom_run_duration_seconds', { language: 'c' }).count, 2);
  assert.equal(histogram(m, 'coderoom_run_duration_seconds', { language: 'rust' }).count, 0);
  // 5 runs + 1 compile step were spawned
  assert.equal(histogram(m, 'coderoom_sandbox_spawn_seconds').count, 6);
  assert.equal(value(m, 'coderoom_compile_cache_hits_total'), 1);
  assert.equal(value(m, 'coderoom_compile_cache_misses_total'), 1);
  // stdout: the marker line, 'ws\r\n' from the terminal
  assert.equal(value(m, 'coderoom_output_bytes_total', { stream: 'stdout' }), out.length + 1 + 4);
  // every run asked for admission (the three /api/runs requests,
  // /api/execute and /ws), each got a slot at once
  const wait = histogram(m, 'coderoom_queue_wait_seconds');
  assert.equal(wait.count, 5);
  assert.equal(wait.buckets[0][1], 5, 'all in the first bucket');
  assert.equal(value(m, 'coderoom_queue_length', { class: 'interactive' }), 0);
  assert.equal(value(m, 'coderoom_queue_length', { class: 'batch' }), 0);
  const fds = value(m, 'process_open_fds');
  // what /proc shows now, give or take the scrape's own connection
  const seen = fs.readdirSync(`/proc/${srv.pid}/fd`).length;
  assert.ok(fds > 3 && Math.abs(fds - seen) <= 2, `process_open_fds ${fds}, /proc ${seen}`);
  const rss = value(m, 'process_resident_memory_bytes');
  const vmrss = Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${srv.pid}/status`, 'utf8'))[1]) * 1024;
  assert.ok(rss > 1e6 && Math.abs(rss - vmrss) < vmrss / 2, `process_resident_memory_bytes ${rss}, VmRSS ${vmrss}`);
});

// promtool: on the PATH, or unpacked from Debian's prometheus package by
// scripts/setup.sh --test (installing that package would start a server).
const promtool = ['promtool', path.join(repoRoot, 'build/tools/promtool')].find((p) => {
  try { execFileSync(p, ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
});

test('/metrics passes promtool check metrics (the official parser and linter)',
  { skip: !promtool && 'promtool (Debian package prometheus) not found' }, async () => {
    const r = await httpRequest(srv.url + '/metrics');
    const out = spawnSync(promtool, ['check', 'metrics'], { input: r.text, encoding: 'utf8' });
    assert.equal(out.status, 0, `promtool: ${out.stdout}${out.stderr}`);
    assert.equal((out.stdout + out.stderr).trim(), '', 'no lint findings');
  });

test('HEAD /metrics and a POST to it', async () => {
  assert.equal((await httpRequest(srv.url + '/metrics', { method: 'HEAD' })).status, 200);
  const p = await postJSON(srv.url + '/metrics', {});
  assert.equal(p.status, 405);
  assert.match(p.json.error, /method not allowed/);
});

test('--log-format json: every line is an object; no program output, input or token in any line', async () => {
  const token = 'tok-' + marker('secret');
  const secret = marker('SECRETOUT');
  const typed = marker('TYPED');
  const tokenFile = path.join(os.tmpdir(), `cr-tokens-${process.pid}`);
  fs.writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
  const s = await startServer({ args: ['--log-format', 'json', '--api-token-file', tokenFile, '--log-level', 'debug'] });
  try {
    const auth = { Authorization: `Bearer ${token}` };
    // program output on both streams, in a compile error, in an exit message
    const r1 = await postJSON(s.url + '/api/runs', { language: 'python', code: `import sys\nprint('${secret}')\nsys.stderr.write('${secret}')\nraise SystemExit('${secret}')` }, { headers: auth });
    assert.equal(r1.json.run.stdout, secret + '\n');
    const r2 = await postJSON(s.url + '/api/runs', { language: 'c', code: `int main(void) { ${secret}; }` }, { headers: { 'X-Api-Token': token } });
    assert.equal(r2.json.status, 'compile_error');
    assert.ok(r2.json.compile.stderr.includes(secret));
    // a wrong token, and the token in a query string
    assert.equal((await postJSON(s.url + '/api/runs', { language: 'python', code: 'print(1)' }, { headers: { Authorization: `Bearer ${token}x` } })).status, 401);
    assert.equal((await httpRequest(s.url + `/api/health?token=${token}`)).status, 200);
    // typed into a terminal, echoed back
    const c = await CoderoomClient.connect(s.wsUrl, { headers: auth });
    await c.run("print('got', input())\n");
    await c.waitType('waiting_for_input', { timeout: 10000 });
    c.input(typed + '\r');
    await c.waitExit();
    assert.ok(c.out.includes('got ' + typed));
    await c.close();
    await waitNoRuns(s);
  } finally {
    assert.equal(await s.stop(), 0);
    fs.rmSync(tokenFile, { force: true });
  }
  const lines = s.logs().split('\n').filter((l) => l.length);
  const events = [];
  for (const l of lines) {
    if (/^coderoom \S+ listening on /.test(l)) continue;	// stdout's one line
    let j;
    try { j = JSON.parse(l); } catch { assert.fail(`not a JSON line: ${l}`); }
    for (const k of ['ts', 'level', 'comp', 'msg']) assert.equal(typeof j[k], 'string', `${k} in ${l}`);
    assert.match(j.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    events.push(j);
  }
  for (const l of lines) {
    for (const bad of [token, secret, typed]) assert.ok(!l.includes(bad), `a log line holds '${bad}': ${l}`);
  }
  const access = events.filter((e) => e.event === 'access');
  assert.ok(access.some((e) => e.method === 'POST' && e.path === '/api/runs' && e.status === 401));
  assert.ok(access.some((e) => e.path === '/api/health' && e.status === 200 && typeof e.ms === 'number'));
  const ends = events.filter((e) => e.event === 'run_end');
  assert.ok(ends.some((e) => e.lang === 'c' && e.status === 'compile_error'));
  assert.ok(ends.some((e) => e.lang === 'python' && e.status === 'runtime_error' && e.exit_code === 1 && e.stdout_bytes === secret.length + 1));
  assert.ok(events.some((e) => e.comp === 'sandbox'), 'the sandbox logs in the same format');
});

test('text logs never hold program output or a token either', async () => {
  const token = 'tok-' + marker('plain');
  const secret = marker('PLAINOUT');
  const s = await startServer({ args: ['--api-token', token, '--log-level', 'debug'] });
  try {
    const r = await postJSON(s.url + '/api/runs', { language: 'python', code: `print('${secret}')` }, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(r.json.run.stdout, secret + '\n');
    assert.equal((await postJSON(s.url + '/api/execute', { code: 'print(1)' }, { headers: { 'X-Api-Token': 'wrong' + token } })).status, 401);
  } finally { assert.equal(await s.stop(), 0); }
  assert.ok(s.logs().includes('http: 127.0.0.1 POST /api/runs 200'), 'the access line is there');
  for (const bad of [token, secret]) assert.ok(!s.logs().includes(bad), `the log holds ${bad}`);
});

test('--config FILE, CODEROOM_* and flags: the later wins; --check-config masks secrets', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-conf-'));
  const conf = path.join(dir, 'coderoom.conf');
  fs.writeFileSync(conf, [
    '# coderoom settings',
    'batch-wall-ms = 700',
    'batch-output-bytes = 64',
    'api-token = file-token-secret',
    'max-runs = 6',
    '',
  ].join('\n'));
  try {
    const chk = await runBinary(['--config', conf, '--check-config', '--data-dir', dir], { env: { CODEROOM_MAX_RUNS: '5' } });
    assert.equal(chk.code, 0, chk.stdout + chk.stderr);
    assert.match(chk.stdout, /^batch-wall-ms = 700$/m);
    assert.match(chk.stdout, /^max-runs = 5$/m, 'the environment wins over the file');
    assert.match(chk.stdout, /^# api-token = \*+ \(1 given, not shown\)$/m);
    assert.ok(!chk.stdout.includes('file-token-secret'));
    assert.match(chk.stdout, /^# 0 errors$/m);

    // the server itself runs with them: 64 bytes of output, 700 ms of wall
    const s = await startServer({ args: ['--config', conf, '--batch-wall-ms', '20000'], env: { CODEROOM_BATCH_OUTPUT_BYTES: '32' } });
    try {
      const auth = { Authorization: 'Bearer file-token-secret' };
      assert.equal((await postJSON(s.url + '/api/runs', { language: 'python', code: 'print(1)' })).status, 401);
      const r = await postJSON(s.url + '/api/runs', { language: 'python', code: "print('y' * 100)" }, { headers: auth });
      assert.equal(r.json.run.status, 'output_limit');
      assert.equal(r.json.run.stdout.length, 32, 'CODEROOM_BATCH_OUTPUT_BYTES over the file');
      const w = await postJSON(s.url + '/api/runs', { language: 'python', code: 'import time\ntime.sleep(1.5)\nprint("late")' }, { headers: auth });
      assert.equal(w.json.run.status, 'ok', 'the flag --batch-wall-ms 20000 over the file\'s 700');
    } finally { assert.equal(await s.stop(), 0); }

    // errors name the file and line, or the variable
    fs.writeFileSync(conf, 'cpu-ms = 1\nbogus-key = 2\n');
    const bad = await runBinary(['--config', conf]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, new RegExp(`${conf}:2: unknown option 'bogus-key'`));
    const env = await runBinary(['--check-config'], { env: { CODEROOM_API_QUEUE: '-4' } });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /from CODEROOM_API_QUEUE/);
    const nodir = await runBinary(['--check-config', '--languages-dir', path.join(dir, 'nope')]);
    assert.equal(nodir.code, 2, nodir.stdout);
    assert.match(nodir.stdout, /^# error: languages-dir /m);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('--check-config prints every option --help lists', async () => {
  const help = (await runBinary(['--help'])).stdout;
  const chk = await runBinary(['--check-config', '--api-token', 't', '--api-token-file', '/dev/null', '--user', 'nobody',
    '--callback-allow', 'example.org']);
  const options = [...help.matchAll(/^ {2}--([a-z0-9-]+)/gm)].map((m) => m[1])
    .filter((o) => !['help', 'version', 'config', 'check-config'].includes(o));
  assert.ok(options.length >= 25, options.join());
  const missing = options.filter((o) => !new RegExp(`^#? ?${o} = `, 'm').test(chk.stdout));
  assert.deepEqual(missing, [], `--check-config does not print: ${missing}`);
});
