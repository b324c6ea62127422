// sessions.mjs - a class on one box: N interactive Python sessions, each
// waiting at input(), all started and all answering; then B of them spin
// in CPU-bound loops while the others stay responsive.
//
// With the server's default flags (no --max-runs, no limits raised):
//   1. N clients connect to /ws and each runs an input() loop; every one
//      must start (a queued one counts as started once it runs) and print
//      its prompt. They come from ten addresses (127.0.0.1-10: ten classes,
//      each behind its own NAT): one address may hold a quarter of the box.
//   2. Every session answers a line ("echo <line>").
//   3. Keystroke echo p50/p99 over the idle sessions (one byte in, its
//      terminal echo back), unloaded, against the same server holding one
//      session (measured first: what holding N costs the echo).
//   4. B sessions start `while True: pass`; the echo p50/p99 of the idle
//      ones is measured again, and every idle one must still answer.
//   5. Host memory per session: the private pages of the run's processes
//      (init and python, from the runs' cgroups) plus the server's and
//      spawner's RSS growth, divided by N, against a bare python3 running
//      the same program on a pty (its private pages: what one more adds;
//      bench/pty_baseline.py pyidle); and the runs' cgroup charge (kernel
//      memory, tmpfs, page tables included) divided by N.
//   6. The server's and spawner's CPU while the N sessions sit idle.
//   node bench/sessions.mjs [N] [B]
import fs from 'node:fs';
import path from 'node:path';
import { health, procMem, sleep } from '../tests/lib/clients.mjs';
import { startServer } from '../tests/lib/server.mjs';
import { allAnswer, closeAll, echoSamples, openSessions } from '../tests/lib/sessions.mjs';
import { fmt, isMain, percentile, printTable, ptyBaseline, ratio } from './lib.mjs';

/* The spawner's pid: the server's child named coderoom-spawn, or that
 * child of the server's sandbox supervisor (coderoom-sup). */
function spawnerPid(serverPid) {
  const procs = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      procs.push({ pid: Number(d), ppid, comm: fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() });
    } catch { /* gone */ }
  }
  const parents = new Set([serverPid, ...procs.filter((p) => p.ppid === serverPid && p.comm.startsWith('coderoom-sup')).map((p) => p.pid)]);
  return procs.find((p) => parents.has(p.ppid) && p.comm.startsWith('coderoom-spawn'))?.pid ?? null;
}

function readNum(p) {
  try { return Number(fs.readFileSync(p, 'utf8').trim()); } catch { return null; }
}

/* The runs' memory cgroup subtree (v1, or v2 at the root): its charge and
 * every pid in it (warm inits included: two, idle). */
export function instanceMemory(spid) {
  const bases = ['/sys/fs/cgroup/memory/coderoom', '/sys/fs/cgroup/coderoom'];
  for (const b of bases) {
    const dir = path.join(b, `i${spid}`);
    if (!fs.existsSync(dir)) continue;
    const charge = readNum(path.join(dir, 'memory.usage_in_bytes')) ?? readNum(path.join(dir, 'memory.current'));
    const pids = [];
    for (const e of fs.readdirSync(dir)) {
      if (!e.startsWith('run-')) continue;
      try {
        for (const p of fs.readFileSync(path.join(dir, e, 'cgroup.procs'), 'utf8').split('\n')) if (p) pids.push(Number(p));
      } catch { /* gone */ }
    }
    return { charge, pids };
  }
  return { charge: null, pids: [] };
}

/* Bytes of 'keys' (kB lines) in /proc/PID/smaps_rollup. */
function smaps(pid, keys) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return keys.reduce((t, k) => t + Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] || 0) * 1024, 0);
  } catch { return 0; }
}

/* CPU time (ms) a process used so far. */
function cpuMs(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch { return 0; }
}

export async function run({ n = 500, busy = 50, keys = 400, args = [] } = {}) {
  // the default flags: only the log level
  const srv = await startServer({ args: ['--log-level', 'warn', '--ws-per-client', '1000000', ...args], timeoutMs: 30000 });
  const rows = [];
  let sess;
  try {
    const spid = spawnerPid(srv.pid);
    await sleep(1000);
    const before = { srv: procMem(srv.pid).rss, sp: spid ? procMem(spid).rss : 0 };
    const t0 = performance.now();
    const addresses = Array.from({ length: 10 }, (_, i) => `127.0.0.${i + 1}`);
    const one = await openSessions(srv.wsUrl, 1);
    const single = one.clients.length ? await echoSamples(one.clients, keys) : [];
    await closeAll(one.all);
    sess = await openSessions(srv.wsUrl, n, { addresses });
    const startS = (performance.now() - t0) / 1000;
    const { clients, refused, queued } = sess;
    const h = await health(srv.url);
    const adm = h.admission || {};
    if (refused.length) {
      rows.push({ metric: `interactive sessions started of ${n} (default flags)`, coderoom: `${clients.length}`,
        note: `${refused.length} refused: ${JSON.stringify(refused[0])}` });
      return rows;
    }
    const answered = await allAnswer(clients, 'a');
    await sleep(2000);
    // what the idle sessions cost the server and the spawner in CPU
    const c0 = { srv: cpuMs(srv.pid), sp: cpuMs(spid) };
    await sleep(10000);
    const idleCpu = { srv: (cpuMs(srv.pid) - c0.srv) / 100, sp: (cpuMs(spid) - c0.sp) / 100 };
    const after = { srv: procMem(srv.pid).rss, sp: spid ? procMem(spid).rss : 0 };
    const im = instanceMemory(spid);
    const uss = im.pids.reduce((t, p) => t + smaps(p, ['Private_Clean', 'Private_Dirty']), 0);
    const state = (after.srv - before.srv + after.sp - before.sp) / n;
    const per = uss / n + state;
    const base = ptyBaseline('pyidle', 20);

    const idle = clients.slice(busy);
    const unloaded = await echoSamples(idle, keys);
    for (const c of clients.slice(0, busy)) c.input('\x15spin\r');
    await sleep(3000);
    const loaded = await echoSamples(idle, keys);
    const answered2 = await allAnswer(idle, 'b');

    const u50 = percentile(unloaded, 0.5), u99 = percentile(unloaded, 0.99);
    const l50 = percentile(loaded, 0.5), l99 = percentile(loaded, 0.99);
    rows.push(
      { metric: `interactive sessions at input() started / answering, of ${n}`, coderoom: `${clients.length} / ${answered}`,
        note: `default flags (${adm.interactive?.slots} slots, bound by ${adm.bound}; ${adm.interactive?.client_runs} per client), from 10 addresses; all prompted in ${fmt(startS, 1)} s; ${queued} waited in the queue` },
      { metric: 'host memory per session (MiB, private + server state)', coderoom: fmt(per / 1048576, 2), baseline: fmt(base.uss / 1048576, 2), ratio: ratio(per, base.uss), base_name: 'bare python3 at input() (private)',
        note: `the run's processes' private pages (init + python) ${fmt(uss / n / 1048576, 2)} MiB + server and spawner ${fmt(state / 1024, 1)} KiB (server ${fmt(before.srv / 1048576, 1)} -> ${fmt(after.srv / 1048576, 1)} MiB, spawner ${fmt(before.sp / 1048576, 1)} -> ${fmt(after.sp / 1048576, 1)} MiB); bare python3 RSS ${fmt(base.rss / 1048576, 2)} MiB, PSS ${fmt(base.pss / 1048576, 2)} MiB` },
      { metric: 'cgroup charge per session (MiB, kernel memory included)', coderoom: fmt(im.charge / n / 1048576, 2), baseline: fmt(base.rss / 1048576, 2), ratio: ratio(im.charge / n, base.rss), base_name: 'bare python3 at input() (RSS)' },
      { metric: `server + spawner CPU, ${n} idle sessions (% of a core)`, coderoom: `${fmt(idleCpu.srv, 1)} + ${fmt(idleCpu.sp, 1)}`, note: 'mostly the input-wait probe (issue 9 item 9)' },
      { metric: `echo p50, ${n - busy} idle sessions (ms)`, coderoom: fmt(u50, 3), baseline: fmt(percentile(single, 0.5), 3), ratio: ratio(u50, percentile(single, 0.5)), base_name: 'one session' },
      { metric: `echo p99, ${n - busy} idle sessions (ms)`, coderoom: fmt(u99, 3), baseline: fmt(percentile(single, 0.99), 3), ratio: ratio(u99, percentile(single, 0.99)), base_name: 'one session' },
      { metric: `echo p50, idle, ${busy} others spinning (ms)`, coderoom: fmt(l50, 3), baseline: fmt(u50, 3), ratio: ratio(l50, u50), base_name: 'unloaded' },
      { metric: `echo p99, idle, ${busy} others spinning (ms)`, coderoom: fmt(l99, 3), baseline: fmt(u99, 3), ratio: ratio(l99, u99), base_name: 'unloaded (goal <= 2x)',
        note: `${answered2} of ${idle.length} idle sessions answered while ${busy} spun` },
    );
    return rows;
  } finally {
    if (sess) await closeAll(sess.all);
    await srv.stop();
  }
}

if (isMain(import.meta)) {
  printTable(await run({ n: Number(process.argv[2] || 500), busy: Number(process.argv[3] || 50), args: process.argv.slice(4) }), 'interactive sessions');
}
