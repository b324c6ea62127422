// init.test.mjs - the run's pid 1 and the root spawner, seen from the host
// while a hostile program runs: init holds no privilege once the program
// is started, and watching for input costs the spawner a bounded amount of
// work whatever the program does with threads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { CoderoomClient, postJSON, waitUntil } from '../lib/clients.mjs';
import { blockedIn, children, spawnerOf } from '../lib/procs.mjs';
import {
  afterRun, brief, stopCheckingSecret, exec, hostProcs, pyName, shortMarker, sleep, startHostile,
} from './lib.mjs';

let srv;
// Room for a program with hundreds of threads; a wall limit far past the
// CPU limit, so a busy machine still ends the CPU loop on its CPU limit.
before(async () => {
  srv = await startHostile({ limits: { pids: 1024, memory: 512 * 1024 * 1024, wallMs: 60000 } });
});
after(() => stopCheckingSecret(srv));

/* Fields of /proc/PID/status as an object. */
function status(pid) {
  const o = {};
  for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) o[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return o;
}

/* status(pid), or null once the process is gone. */
function statusOrNull(pid) {
  try { return status(pid); } catch { return null; }
}

/* The server's spawner (the supervisor's child named coderoom-spawn). */
function spawnerPid() {
  const pid = spawnerOf(srv.pid);
  assert.ok(pid, `the server ${srv.pid} has a spawner`);
  return pid;
}

/* read(2)-family system calls a process has made so far (/proc/PID/io). */
function readCalls(pid) {
  return Number(/^syscr: (\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'))[1]);
}

test('a program forked ahead is under the seccomp filter, one only, before any run is handed to it', async () => {
  // The pool: the spawner's children (warm inits) and theirs (each one's
  // program, forked ahead). A program waits for its run in recvmsg() on
  // its go socket; before that it is still preparing (its uid changes a
  // few steps before the filter is attached), so only a program blocked
  // there is looked at.
  const waiting = await waitUntil(() => {
    const out = [];
    for (const init of children(spawnerPid())) {
      for (const p of children(init)) {
        const s = blockedIn(p, 'recvmsg') && statusOrNull(p);
        if (s) out.push({ pid: p, s });
      }
    }
    return out.length && out;
  }, { what: 'a warm init\'s program, forked ahead, waiting for its run' });
  for (const { pid, s } of waiting) {
    assert.equal(s.Seccomp, '2', `program ${pid}, waiting for a run, is under the filter`);
    assert.equal(s.Seccomp_filters, '1', `program ${pid}: one filter`);
  }
});

test('a warm init waiting in the pool has emptied its bounding set already', async () => {
  // A warm init: a child of the spawner, waiting in the pool (blocked in
  // recvmsg() on its control socket for a hand-out, after it said ready),
  // with its program forked ahead. It keeps its effective capabilities
  // for the hand-out; the bounding set it never needs.
  const inits = await waitUntil(() => {
    const out = [];
    for (const init of children(spawnerPid())) {
      const s = children(init).length && blockedIn(init, 'recvmsg') && statusOrNull(init);
      if (s) out.push({ pid: init, s });
    }
    return out.length && out;
  }, { what: 'a warm init waiting in the pool, its program forked ahead' });
  for (const { pid, s } of inits) {
    assert.equal(s.Uid.split(/\s+/)[0], '0', `warm init ${pid} is still root, waiting for its run`);
    assert.notEqual(s.CapEff, '0000000000000000', `warm init ${pid} holds what its hand-out needs`);
    assert.equal(s.CapBnd, '0000000000000000', `warm init ${pid}'s bounding set`);
  }
});

test('init drops to the run\'s unprivileged uid, no capabilities, its own seccomp filter; the run is still stopped and accounted', async () => {
  const m = shortMarker();
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run(`${pyName(m)}import os
print('ready', flush=True)
input()
`);
    await c.waitOutput(/ready/, { timeout: 15000 });
    const [prog] = await waitUntil(() => hostProcs(m).length && hostProcs(m), { what: 'the program on the host' });
    const ps = status(prog.pid);
    const init = Number(ps.PPid);
    const is = status(init);
    assert.notEqual(init, srv.pid, 'the program\'s parent is its init');
    const [ruid, euid, suid, fsuid] = is.Uid.split(/\s+/).map(Number);
    assert.ok(ruid > 0 && euid > 0 && suid > 0 && fsuid > 0, `init's uids: ${is.Uid}`);
    assert.equal(is.Uid.split(/\s+/)[0], ps.Uid.split(/\s+/)[0], 'init runs as the run\'s own host uid');
    assert.ok(!is.Gid.split(/\s+/).map(Number).includes(0), `init's gids: ${is.Gid}`);
    assert.equal(is.Groups, '', 'no supplementary groups');
    for (const k of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
      assert.equal(is[k], '0000000000000000', `init's ${k}`);
    }
    assert.equal(is.NoNewPrivs, '1');
    assert.equal(is.Seccomp, '2', 'init is under a seccomp filter');
    assert.equal(ps.Seccomp, '2', 'the program is under the seccomp filter');
    assert.equal(ps.Seccomp_filters, '1', 'the program is under one filter, not two stacked');
    c.stop();
    const ex = await c.waitExit({ timeout: 15000 });
    assert.equal(ex.status, 'killed', JSON.stringify(ex));
  } finally { await c.close(); }
  await afterRun(srv, m);
  // Limits and accounting still reach the whole tree.
  const r = await exec(srv, `${pyName(m)}b = bytearray(64 * 1024 * 1024)
for i in range(0, len(b), 4096):
    b[i] = 1
while True:
    pass
`);
  assert.equal(r.verdict, 'cpu_limit', brief(r));
  assert.ok(r.memory_bytes >= 64 * 1024 * 1024, `peak memory accounted: ${brief(r)}`);
  assert.ok(r.cpu_ms >= 900, `CPU accounted: ${brief(r)}`);
  await afterRun(srv, m);
});

test('the input-wait probe reads a bounded number of /proc files per tick, even with 500 threads', async (t) => {
  const m = shortMarker();
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run(`${pyName(m)}import threading
ev = threading.Event()
for _ in range(500):
    threading.Thread(target=ev.wait, daemon=True).start()
print('ready', threading.active_count(), flush=True)
input()
`);
    await c.waitOutput(/ready 501/, { timeout: 30000 });
    // Best effort still works: the main thread reads its terminal.
    await c.waitType('waiting_for_input', { timeout: 15000 });
    const sp = spawnerPid();
    const r0 = readCalls(sp), t0 = Date.now();
    await sleep(3000);
    const r1 = readCalls(sp), t1 = Date.now();
    // The probe runs at most every 100 ms; the spawner's other work
    // (limits every 50 ms) is a few reads a tick.
    const probes = Math.floor((t1 - t0) / 100) + 1;
    const perProbe = (r1 - r0) / probes;
    t.diagnostic(`spawner: ${r1 - r0} read calls in ${t1 - t0} ms, ${perProbe.toFixed(1)} per probe`);
    assert.ok(perProbe <= 100,
      `the spawner made ${r1 - r0} read calls in ${t1 - t0} ms (${perProbe.toFixed(0)} per probe at most ${probes} probes)`);
    c.input('\r');
    const ex = await c.waitExit({ timeout: 15000 });
    assert.equal(ex.status, 'ok', JSON.stringify(ex));
  } finally { await c.close(); }
  await afterRun(srv, m);
});

test('runs back to back all start: a warm init is handed out only once its program is prepared', async () => {
  // A warm init forks its program ahead and the program drops to the
  // run's uid and user namespace while the pool fills. A run handed out
  // in that moment must wait for it: were its init to build the run's
  // root (the pivot) meanwhile, the program's unshare(CLONE_NEWUSER)
  // would see a root that is not its namespace's and fail with EPERM.
  // Each run's end refills the pool, and the next one follows at once.
  const one = async (tag) => {
    const r = await postJSON(srv.url + '/api/runs', { language: 'python', code: `print(${tag})` });
    srv.responses.push(r.text);
    assert.equal(r.json?.run?.stdout, `${tag}\n`, r.text.slice(0, 500));
  };
  for (let i = 0; i < 60; i++) await one(i);
  await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(async (k) => {
    for (let i = 0; i < 15; i++) await one(k * 100 + i);
  }));
});

test('a box at full capacity runs back to back: a run\'s end, reported before its init exits, never leaves the next without a slot', async () => {
  // The end of a run whose program was its last process is reported
  // before init's own exit; its slot stays taken until init is reaped.
  // With one interactive slot and one batch slot, every next run finds
  // every slot taken by such an init, or a warm init, or both: it must
  // still start (the spawner reaps the init, which has only its exit
  // left), never fail with "every slot is busy".
  const s = await startHostile({ args: ['--max-runs', '1', '--api-concurrency', '1'] });
  try {
    const batch = async (k) => {
      for (let i = 0; i < 15; i++) {
        const r = await postJSON(s.url + '/api/runs', { language: 'bash', code: `echo ${k}-${i}` });
        s.responses.push(r.text);
        assert.equal(r.json?.run?.stdout, `${k}-${i}\n`, r.text.slice(0, 500));
      }
    };
    const live = async () => {
      const c = await CoderoomClient.connect(s.wsUrl);
      try {
        for (let i = 0; i < 15; i++) {
          const since = c.events.length;
          await c.run(`echo live-${i}`, { language: 'bash', timeout: 30000 });
          const ex = await c.waitType('exited', { since, timeout: 30000 });
          assert.equal(ex.status, 'ok', JSON.stringify(ex) + c.out);
          assert.match(c.out, new RegExp(`live-${i}\r\n$`));
        }
      } finally { await c.close(); }
    };
    await Promise.all([batch(1), batch(2), batch(3), live()]);
    assert.doesNotMatch(s.logs(), /every slot is busy/);
  } finally { await stopCheckingSecret(s); }
});
