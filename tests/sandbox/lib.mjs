// lib.mjs - helpers for the hostile-program suite (tests/sandbox/).
//
// startHostile() starts the real server with small limits and a secret in
// its environment (and in a file in its data directory). exec() runs one
// program through POST /api/execute and remembers every response, so that
// checkSecretNeverSeen() can assert the secret never came out. afterRun()
// checks the host: no process carrying the test's marker, no run left,
// the server healthy and still running programs.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import {
  assertServerWorks, getJSON, health, postJSON, sleep, waitNoRuns, waitUntil,
} from '../lib/clients.mjs';

export const MiB = 1024 * 1024;

/*
 * Under software emulation (the cgroup v2 virtual machine of tests/vm/)
 * programs run several times slower, and the guest counts a host's busy
 * moments as CPU time: CODEROOM_TEST_TIME_SCALE stretches the time limits
 * (and the hang guards), so that e.g. a memory bomb still meets its memory
 * limit before its CPU limit.
 */
export const TIME_SCALE = Number(process.env.CODEROOM_TEST_TIME_SCALE) || 1;

/* The small limits every hostile program runs under. */
export const LIMITS = {
  cpuMs: 1000 * TIME_SCALE, wallMs: 5000 * TIME_SCALE, memory: 128 * MiB, pids: 64,
  output: 256 * 1024,
};

/*
 * A marker of 12 lowercase letters and digits: short enough for
 * /proc/PID/comm (15 bytes), unique enough for a host-wide /proc scan.
 */
export function shortMarker() {
  return 'cr' + crypto.randomBytes(5).toString('hex');
}

/* Host processes whose cmdline or comm contains 'm'. */
export function hostProcs(m) {
  const found = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    let cmd = '', comm = '';
    try { cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'latin1'); } catch { /* gone */ }
    try { comm = fs.readFileSync(`/proc/${d}/comm`, 'latin1'); } catch { /* gone */ }
    if (cmd.includes(m) || comm.includes(m)) {
      found.push({ pid: Number(d), cmd: cmd.replace(/\0/g, ' ').trim(), comm: comm.trim() });
    }
  }
  return found;
}

/* Python prologue: name this process (and every fork of it) 'm' in
 * /proc/PID/comm, so hostProcs() finds it from the host. */
export function pyName(m) {
  return `import ctypes as _c\n_c.CDLL(None).prctl(15, _c.c_char_p(b'${m}'), 0, 0, 0)\n`;
}

/* Python prologue for raw syscalls: sc(nr, *args) -> (ret, errno name). */
export const PY_SYSCALL = `import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def sc(nr, *a):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(x) if isinstance(x, int) else x for x in a])
    e = ctypes.get_errno()
    return r, (errno.errorcode.get(e, str(e)) if r == -1 else 'OK')
def show(name, nr, *a):
    r, e = sc(nr, *a)
    print(f'{name}={e}', flush=True)
`;

/*
 * Start a server for hostile programs. Resolves with the server object of
 * tests/lib/server.mjs plus {secret, secretFile}.
 */
export async function startHostile({ args = [], limits = {}, env = {} } = {}) {
  const l = { ...LIMITS, ...limits };
  const secret = 'S' + crypto.randomBytes(16).toString('hex');
  const srv = await startServer({
    args: [
      '--batch-cpu-ms', String(l.cpuMs), '--batch-wall-ms', String(l.wallMs),
      '--memory-bytes', String(l.memory), '--pids', String(l.pids),
      '--batch-output-bytes', String(l.output), '--max-runs', '8',
      ...args,
    ],
    env: { CODEROOM_TEST_SECRET: secret, ...env },
  });
  srv.secret = secret;
  srv.secretFile = path.join(srv.dataDir, 'secret.txt');
  fs.writeFileSync(srv.secretFile, secret + '\n', { mode: 0o644 });
  srv.responses = [];
  return srv;
}

/* POST /api/execute; resolves with the parsed response (status 200). */
export async function exec(srv, code, { language = 'python', stdin, timeout = 60000 } = {}) {
  const body = { code, language };
  if (stdin !== undefined) body.stdin = stdin;
  const r = await postJSON(srv.url + '/api/execute', body, { timeout });
  srv.responses.push(r.text);
  assert.equal(r.status, 200, `POST /api/execute: ${r.status} ${r.text.slice(0, 500)}`);
  assert.ok(r.json, `a JSON answer: ${r.text.slice(0, 500)}`);
  return r.json;
}

/* A one-line description of a response, for assertion messages. */
export function brief(res) {
  const { stdout, stderr, output, error, combined, ...rest } = res;
  return `${JSON.stringify(rest)}\nstdout: ${JSON.stringify(String(stdout).slice(0, 1500))}` +
    `\nstderr: ${JSON.stringify(String(stderr).slice(0, 1500))}`;
}

/* Lines "name=VALUE" of a program's stdout, as an object. */
export function kv(stdout) {
  const o = {};
  for (const line of stdout.split('\n')) {
    const m = /^([\w.-]+)=(.*)$/.exec(line);
    if (m) o[m[1]] = m[2];
  }
  return o;
}

/*
 * The host after a run: nothing with marker 'm' is left (within 3 s: the
 * kernel reaps a dead pid namespace asynchronously), runs_active is back to
 * 0, health is ok and a fresh run still works.
 */
export async function afterRun(srv, m) {
  if (m) {
    await waitUntil(() => hostProcs(m).length === 0, { timeout: 3000 * TIME_SCALE, what: `no host process named ${m}` })
      .catch(() => { throw new Error(`left on the host: ${JSON.stringify(hostProcs(m))}`); });
  }
  await waitNoRuns(srv, 10000 * TIME_SCALE);
  const h = await health(srv.url);
  assert.equal(h.status, 'ok', JSON.stringify(h));
  assert.equal(h.runs_active, 0);
  assert.equal(srv.exitInfo(), null, 'the server is still running');
}

/* Every response (and the server log) so far is free of the secret. */
export function checkSecretNeverSeen(srv) {
  assert.ok(srv.responses.length > 0, 'some responses were collected');
  for (const t of srv.responses) {
    assert.ok(!t.includes(srv.secret), `the server's secret leaked into a response: ${t.slice(0, 300)}`);
  }
  assert.ok(!srv.logs().includes(srv.secret), 'the secret is not in the server log');
}

/* A suite's last step: checkSecretNeverSeen(srv), and the server stopped
 * whatever that finds (a failing check must not leave it running: the
 * test file would then never exit). */
export async function stopCheckingSecret(srv) {
  try {
    if (srv) checkSecretNeverSeen(srv);
  } finally { await srv?.stop(); }
}

/* Sample hostProcs(m) every 50 ms while 'promise' runs; resolves with
 * {result, maxSeen}. Proves a marker scan would have seen the processes. */
export async function watchProcs(m, promise) {
  let maxSeen = 0, done = false;
  const sampler = (async () => {
    while (!done) {
      maxSeen = Math.max(maxSeen, hostProcs(m).length);
      await sleep(50);
    }
  })();
  try {
    const result = await promise;
    return { result, maxSeen };
  } finally {
    done = true;
    await sampler;
  }
}

/* The server's own memory (VmRSS) in bytes. */
export function serverRss(srv) {
  const s = fs.readFileSync(`/proc/${srv.pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(s)[1]) * 1024;
}

/* Languages the server lists as available. */
export async function availableLanguages(srv) {
  const r = await getJSON(srv.url + '/api/languages');
  assert.equal(r.status, 200);
  return new Set((r.json || []).filter((l) => l.available).map((l) => l.id));
}

export { assertServerWorks, health, os, sleep, waitUntil };
