// cgroup2.test.mjs - what only a pure cgroup v2 host shows: the server's
// delegated group, the groups of the runs and their limits, accounting, and
// the start-up janitor. Runs inside the virtual machine of tests/vm/run.sh
// (as root, every server started by tests/vm/service.sh in a group of its
// own, as systemd with Delegate=yes would); anywhere else each test is
// skipped, by name, with the reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  LIMITS, MiB, TIME_SCALE, afterRun, assertServerWorks, brief, exec, health, hostProcs, kv,
  pyName, shortMarker, startHostile, waitUntil,
} from '../sandbox/lib.mjs';
import { CoderoomClient } from '../lib/clients.mjs';
import { descendants, helperOf } from '../lib/procs.mjs';

const CG = '/sys/fs/cgroup';

/* Why these tests cannot run here, or null. */
function whyNot() {
  if (process.getuid() !== 0) return 'needs root';
  let mi = '';
  try { mi = fs.readFileSync('/proc/self/mountinfo', 'utf8'); } catch { /* none */ }
  if (!mi.split('\n').some((l) => l.split(' ')[4] === CG && / - cgroup2 /.test(l))) {
    return `no pure cgroup v2 hierarchy at ${CG} (tests/vm/run.sh boots one)`;
  }
  if (!process.env.CODEROOM_VM) return 'runs in the virtual machine of tests/vm/run.sh only';
  return null;
}
const skip = whyNot() || false;

/* The v2 group of a process, as "/a/b" (null when gone). */
function cgroupOf(pid) {
  try {
    const m = /^0::(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
    return m ? m[1] : null;
  } catch { return null; }
}
const rd = (g, f) => fs.readFileSync(path.join(CG, g, f), 'utf8').trim();
const exists = (g) => fs.existsSync(path.join(CG, g));

/* The server's spawner: the supervisor's child named coderoom-spawn. */
function spawnerOf(srv) {
  const p = helperOf(srv.pid, 'coderoom-spawn');
  assert.ok(p, `the server ${srv.pid} has a spawner (below it: ${descendants(srv.pid, 2)})`);
  return p;
}

// Generous time limits: these tests look at groups, not at limits of time
// (which emulation on a busy host makes unpredictable).
const CPU_MS = 120000;
let srv;
before(async () => { if (!skip) srv = await startHostile({ limits: { cpuMs: CPU_MS, wallMs: 2 * CPU_MS } }); });
after(async () => { await srv?.stop(); });

test('cgroup v2: /api/health names the v2 back end with memory, pids, CPU and kill', { skip }, async () => {
  const h = await health(srv.url);
  assert.equal(h.sandbox.cgroup, 'v2', JSON.stringify(h.sandbox));
  assert.equal(h.sandbox.strong, true, JSON.stringify(h.sandbox));
  assert.equal(h.sandbox.missing, '');
  for (const f of ['cgroup_memory', 'cgroup_pids', 'cgroup_cpu', 'cgroup_kill']) {
    assert.equal(h.sandbox.features[f], true, f);
  }
});

test('cgroup v2: the server moves itself into a leaf of its delegated group; runs get coderoom/i<spawner>/run-N with their limits', { skip }, async () => {
  const spawner = spawnerOf(srv);
  const own = cgroupOf(srv.pid);
  assert.match(own, /^\/system\.slice\/coderoom-\d+\.service\/coderoom-server$/, 'the server\'s group');
  assert.equal(cgroupOf(spawner), own, 'the spawner sits beside the server');
  const svc = path.dirname(own);
  // The "no internal processes" rule: the service's own group is empty
  // now, and hands memory, pids and cpu to its children.
  assert.equal(rd(svc, 'cgroup.procs'), '', `nothing left in ${svc}`);
  const sub = rd(svc, 'cgroup.subtree_control').split(' ');
  for (const c of ['memory', 'pids', 'cpu']) assert.ok(sub.includes(c), `${c} enabled in ${svc}: ${sub}`);
  const base = `${svc}/coderoom/i${spawner}`;
  assert.ok(exists(base), `${base} exists`);

  // An interactive run that waits for a line: look at its group meanwhile.
  const m = shortMarker();
  const c = await CoderoomClient.connect(srv.url);
  try {
    await c.run(`${pyName(m)}print('cg=' + open('/proc/self/cgroup').read().strip(), flush=True)
input()
print('bye', flush=True)
`);
    await c.waitOutput('cg=', { timeout: 30000 });
    // Inside, a cgroup namespace rooted at the run's group.
    assert.match(c.out, /cg=0::\/\r?\n/, c.out);
    const procs = hostProcs(m);
    assert.equal(procs.length, 1, JSON.stringify(procs));
    const g = cgroupOf(procs[0].pid);
    assert.match(g, new RegExp(`^${base.replace(/\./g, '\\.')}/run-(warm-)?\\d+$`), 'the run\'s group');
    assert.equal(Number(rd(g, 'memory.max')), LIMITS.memory, 'memory.max');
    assert.equal(rd(g, 'memory.swap.max'), '0', 'memory.swap.max');
    assert.equal(rd(g, 'memory.oom.group'), '1', 'memory.oom.group');
    assert.equal(Number(rd(g, 'pids.max')), LIMITS.pids, 'pids.max');
    assert.ok(rd(g, 'cgroup.controllers').split(' ').includes('cpu'), 'the cpu controller');
    // init and the program, nothing of the server.
    const inGroup = rd(g, 'cgroup.procs').split('\n').map(Number);
    assert.ok(inGroup.includes(procs[0].pid), `the program is in ${g}`);
    assert.ok(!inGroup.includes(srv.pid) && !inGroup.includes(spawner), 'the server is not');
    c.input('\n');
    const ex = await c.waitExit({ timeout: 30000 });
    assert.equal(ex.status, 'ok', JSON.stringify(ex));
    assert.ok(c.out.includes('bye'));
    await waitUntil(() => !exists(g), { timeout: 10000, what: `${g} removed after the run` });
  } finally {
    await c.close();
  }
  await afterRun(srv, m);
});

const STRACE = '/usr/bin/strace';
test('cgroup v2: every run together under the admission limits (memory.max, pids.max of coderoom/i<spawner>), CPU by weight, usage in health', { skip }, async () => {
  const spawner = spawnerOf(srv);
  const svc = path.dirname(cgroupOf(srv.pid));
  const base = `${svc}/coderoom/i${spawner}`;
  let h = await health(srv.url);
  const adm = h.admission;
  assert.ok(adm && adm.memory.limit > 0 && adm.pids.limit > 0, JSON.stringify(adm));
  assert.equal(Number(rd(base, 'memory.max')), adm.memory.limit, `${base}/memory.max`);
  assert.equal(Number(rd(base, 'pids.max')), adm.pids.limit, `${base}/pids.max`);
  // the runs together weigh one busy thread per CPU against the server
  assert.equal(Number(rd(`${svc}/coderoom`, 'cpu.weight')), Math.min(10000, 100 * adm.host.cpus));
  assert.equal(h.sandbox.features.cgroup_cpu_weight, true);
  const m = shortMarker();
  const c = await CoderoomClient.connect(srv.url);
  try {
    await c.run(`${pyName(m)}print('up', flush=True)\ninput()\n`);
    await c.waitOutput('up', { timeout: 30000 });
    const g = cgroupOf(hostProcs(m)[0].pid);
    assert.equal(rd(g, 'cpu.weight'), '100', `${g}/cpu.weight`);
    // the spawner's report of what the runs use reaches admission
    h = await waitUntil(async () => {
      const x = await health(srv.url);
      return x.admission.memory.used > 0 && x.admission.pids.used >= 2 && x;
    }, { timeout: 10000, what: 'usage in /api/health' });
    assert.ok(h.admission.memory.used < adm.memory.limit, JSON.stringify(h.admission.memory));
  } finally {
    await c.close();
  }
});

test('cgroup v2: init is born in the run\'s group: clone3 with CLONE_INTO_CGROUP, never the clone() fallback',
  { skip: skip || (!fs.existsSync(STRACE) && `no ${STRACE} (Debian: strace)`) }, async () => {
    const spawner = spawnerOf(srv);
    const out = path.join(os.tmpdir(), `cgroup2-strace-${process.pid}.txt`);
    // The spawner only: its children (the inits) are not traced.
    const st = spawn(STRACE, ['-e', 'trace=clone,clone3', '-o', out, '-p', String(spawner)],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    st.stderr.on('data', (d) => { err += d; });
    const stExit = new Promise((resolve) => st.once('exit', resolve));
    const traced = () => { try { return fs.readFileSync(out, 'utf8'); } catch { return ''; } };
    let text;
    try {
      await waitUntil(() => /attached/.test(err), { timeout: 10000 * TIME_SCALE, what: `strace attached: ${err}` });
      // The run takes a warm init, and the pool makes a new one.
      const r = await exec(srv, "print('hi')\n");
      assert.equal(r.verdict, 'ok', brief(r));
      await waitUntil(() => /clone3?\(.*\) = /.test(traced()),
        { timeout: 10000 * TIME_SCALE, what: 'a clone of the spawner' });
    } finally {
      st.kill('SIGINT');
      await stExit;
      text = traced();
      fs.rmSync(out, { force: true });
    }
    const calls = text.split('\n').filter((l) => /^clone3?\(/.test(l));
    assert.ok(calls.length > 0, text);
    for (const l of calls) {
      assert.match(l, /^clone3\(\{flags=[^}]*CLONE_INTO_CGROUP[^}]*cgroup=\d+\}, \d+\) = [1-9]\d*$/,
        'every init comes from clone3 into its group, and the call succeeded');
    }
  });

test('cgroup v2: accounting: cpu_ms covers the CPU the program used, memory peak covers what it touched', { skip }, async () => {
  const m = shortMarker();
  const touch = 48 * MiB;
  const code = `${pyName(m)}import time
b = bytearray(${touch})
for i in range(0, len(b), 4096):
    b[i] = 1
t = time.process_time()
while time.process_time() - t < 0.3:
    pass
print(f'cpu_ms={int(time.process_time() * 1000)}', flush=True)
`;
  const r = await exec(srv, code);
  assert.equal(r.verdict, 'ok', brief(r));
  const own = Number(kv(r.stdout).cpu_ms);
  assert.ok(own >= 300, brief(r));
  // The group counts the program and everything else of the run.
  assert.ok(r.cpu_ms >= own, `cpu_ms ${r.cpu_ms} >= the program's own ${own}`);
  assert.ok(r.cpu_ms < CPU_MS, brief(r));
  assert.ok(r.memory_bytes >= touch, `peak ${r.memory_bytes} >= the ${touch} bytes touched`);
  assert.ok(r.memory_bytes <= LIMITS.memory, `peak ${r.memory_bytes} <= the limit`);
  await afterRun(srv, m);
});

test('cgroup v2: the start-up janitor kills and removes the groups of a dead spawner, and only those', { skip }, async () => {
  const spawner = spawnerOf(srv);
  const leaf = cgroupOf(srv.pid);
  const top = `${path.dirname(leaf)}/coderoom`;
  // What a spawner killed with its runs still alive leaves: its instance
  // group with a run and a warm init in it (pid 99999999 never exists).
  const dead = `${top}/i99999999`;
  const m = shortMarker();
  const procs = [];
  for (const name of ['run-7', 'run-warm-3']) {
    fs.mkdirSync(path.join(CG, dead, name), { recursive: true });
    const p = spawn('/bin/sleep', ['1000'], { argv0: m, stdio: 'ignore', detached: true });
    procs.push(p);
    await new Promise((resolve, reject) => { p.once('spawn', resolve); p.once('error', reject); });
    fs.writeFileSync(path.join(CG, dead, name, 'cgroup.procs'), String(p.pid));
  }
  const exited = procs.map((p) => new Promise((resolve) => p.once('exit', (code, sig) => resolve(sig))));
  assert.equal(hostProcs(m).length, 2, 'the two leftovers run');

  // The server restarted in place: a new one in the leaf of the old.
  const srv2 = await startHostile({
    limits: { cpuMs: CPU_MS, wallMs: 2 * CPU_MS }, env: { CODEROOM_VM_CGROUP: leaf },
  }).catch((e) => {
    for (const p of procs) p.kill('SIGKILL');
    throw e;
  });
  let spawner2;
  try {
    assert.deepEqual(await Promise.all(exited), ['SIGKILL', 'SIGKILL'], 'the leftovers were killed');
    assert.ok(!exists(dead), `${dead} removed`);
    assert.ok(exists(`${top}/i${spawner}`), 'the live spawner\'s groups are untouched');
    spawner2 = spawnerOf(srv2);
    assert.ok(exists(`${top}/i${spawner2}`), 'the new spawner has its own');
    await assertServerWorks(srv.url, 'on the first server, after the janitor');
    await assertServerWorks(srv2.url, 'on the second server');
  } finally {
    await srv2.stop();
  }
  // A server that stops removes its instance group.
  await waitUntil(() => !exists(`${top}/i${spawner2}`), { timeout: 10000, what: `${top}/i${spawner2} removed` });
});

test('cgroup v2: a server started in a group that holds other processes moves them into its leaf too, and says so', { skip }, async () => {
  const g = `/system.slice/shared-${process.pid}.scope`;
  fs.mkdirSync(path.join(CG, g));
  const m = shortMarker();
  const other = spawn('/bin/sleep', ['1000'], { argv0: m, stdio: 'ignore' });
  await new Promise((resolve, reject) => { other.once('spawn', resolve); other.once('error', reject); });
  let srv3;
  try {
    fs.writeFileSync(path.join(CG, g, 'cgroup.procs'), String(other.pid));
    srv3 = await startHostile({ limits: { cpuMs: CPU_MS, wallMs: 2 * CPU_MS }, env: { CODEROOM_VM_CGROUP: g } });
    assert.equal(cgroupOf(srv3.pid), `${g}/coderoom-server`);
    assert.equal(cgroupOf(other.pid), `${g}/coderoom-server`, 'the other process was moved as well');
    assert.equal(rd(g, 'cgroup.procs'), '', `nothing left in ${g}`);
    // the server, its sandbox supervisor and spawner, and the other one
    assert.match(srv3.logs(), /cgroup v2: moved 4 processes from '[^']*shared-\d+\.scope'/);
    assert.match(srv3.logs(), /cgroup v2: 1 of them are not coderoom's: give coderoom a group of its own/);
    await assertServerWorks(srv3.url, 'in a shared group');
  } finally {
    await srv3?.stop();
    other.kill('SIGKILL');
  }
});

test('cgroup v2: a server whose cgroup2 mount shows only its own group (a container in the host\'s cgroup namespace) finds that group', { skip }, async () => {
  const srv4 = await startHostile({
    limits: { cpuMs: CPU_MS, wallMs: 2 * CPU_MS }, env: { CODEROOM_VM_SUBTREE_MOUNT: '1' },
  });
  try {
    const h = await health(srv4.url);
    assert.equal(h.sandbox.cgroup, 'v2', JSON.stringify(h.sandbox));
    assert.equal(h.sandbox.strong, true, JSON.stringify(h.sandbox));
    // Its /sys/fs/cgroup is the group it started in; it moved to a leaf.
    const mi = fs.readFileSync(`/proc/${srv4.pid}/mountinfo`, 'utf8').split('\n')
      .map((l) => l.split(' ')).filter((f) => f[4] === CG && f.includes('cgroup2'));
    const own = cgroupOf(srv4.pid);
    assert.match(own, /^\/system\.slice\/coderoom-\d+\.service\/coderoom-server$/);
    assert.equal(mi.at(-1)[3], path.dirname(own), 'the mount root is the service group');
    const m = shortMarker();
    const r = await exec(srv4, `${pyName(m)}print('cg=' + open('/proc/self/cgroup').read().strip())\n`);
    assert.equal(r.verdict, 'ok', brief(r));
    assert.equal(kv(r.stdout).cg, '0::/', brief(r));
    await afterRun(srv4, m);
  } finally {
    await srv4.stop();
  }
});
