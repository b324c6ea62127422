// echo-latency.mjs - keystroke echo latency through /ws, side by side with
// a local pty and with ttyd, the same client loop against each.
//
// The client is bench/term_client.c: one byte in, wait for its echo, 2 ms
// pause; the program is `cat` on the run's terminal (coderoom: a Python run
// that execs cat; ttyd: `ttyd -W cat`; bare: cat on a local pty). The
// targets take turns in rounds, so the machine's load falls on each alike;
// the samples of all rounds are pooled. Also: ping -> pong through /ws with
// the node client (the WebSocket and JSON path alone).
//   node bench/echo-latency.mjs [N]
import { CoderoomClient, sleep } from '../tests/lib/clients.mjs';
import { fmt, isMain, percentile, printTable, ratio, startBenchServer } from './lib.mjs';
import { cpuNs, startTtyd, termClient, ttydPath, ttydVersion } from './term.mjs';

const ROUNDS = 5;

export async function run({ n = 1000 } = {}) {
  const srv = await startBenchServer();
  const bin = ttydPath();
  let ttyd = null, ttydErr = null;
  if (bin) { try { ttyd = await startTtyd(bin, ['cat']); } catch (e) { ttydErr = e.message; } }
  const per = Math.max(100, Math.ceil(n / ROUNDS));
  const samples = { pty: [], coderoom: [], ttyd: [] };
  const cpu = { coderoom: 0, ttyd: 0 }; // server CPU ns over the keystrokes
  const timed = (k, pid, f) => { const c0 = cpuNs(pid); const r = f(); cpu[k] += cpuNs(pid) - c0; return r; };
  const pings = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      samples.pty.push(...termClient('echo', 'pty', per).samples_us);
      samples.coderoom.push(...timed('coderoom', srv.pid, () => termClient('echo', 'coderoom', `${srv.wsUrl}/ws`, per)).samples_us);
      if (ttyd) samples.ttyd.push(...timed('ttyd', ttyd.pid, () => termClient('echo', 'ttyd', ttyd.url, per)).samples_us);
    }
    const c = await CoderoomClient.connect(srv.wsUrl);
    for (let i = 0; i < 100; i++) {
      const since = c.events.length;
      const t0 = performance.now();
      c.send({ type: 'ping', i });
      await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'pong' && e.msg.i === i, { since, timeout: 5000 });
      pings.push(performance.now() - t0);
      await sleep(20); // stay under the 64 messages/s control limit
    }
    await c.close();
  } finally {
    await srv.stop();
    await ttyd?.stop();
  }
  const q = (k, p) => (samples[k].length ? percentile(samples[k].sort((a, b) => a - b), p) / 1000 : null);
  const rows = [];
  for (const [p, name] of [[0.5, 'p50'], [0.99, 'p99']]) {
    const cr = q('coderoom', p), base = q('pty', p);
    rows.push({ metric: `keystroke echo ${name} (ms)`, coderoom: fmt(cr, 3), baseline: fmt(base, 3), ratio: ratio(cr, base), base_name: 'local pty + cat, same client' });
    if (ttyd) {
      const t = q('ttyd', p);
      rows.push({ metric: `keystroke echo ${name} vs ttyd (ms)`, coderoom: fmt(cr, 3), baseline: fmt(t, 3), ratio: ratio(cr, t), base_name: `ttyd ${ttydVersion(bin)} + cat, same client` });
    }
  }
  // each run's start is in it too (a few hundred us against ~50 us a key)
  const perKey = (k) => cpu[k] / 1000 / samples[k].length;
  rows.push({ metric: 'server CPU per keystroke (us)', coderoom: fmt(perKey('coderoom'), 1),
    baseline: ttyd ? fmt(perKey('ttyd'), 1) : '-', ratio: ttyd ? ratio(perKey('coderoom'), perKey('ttyd')) : '-',
    base_name: ttyd ? 'ttyd, its process' : '(no ttyd)' });
  if (!ttyd) {
    rows.push({ metric: 'keystroke echo vs ttyd', coderoom: '-', base_name: 'ttyd',
      note: ttydErr || 'ttyd is not installed (Debian 12 has no package): TTYD=/path/to/ttyd make bench adds these rows' });
  }
  rows.push({ metric: 'ws ping->pong p50 (ms)', coderoom: fmt(percentile(pings.sort((a, b) => a - b), 0.5), 3), base_name: '(node client, no baseline)' });
  rows[0].note = `${samples.coderoom.length} keystrokes each, ${ROUNDS} rounds taking turns; bench/term_client.c`;
  return rows;
}

if (isMain(import.meta)) {
  printTable(await run({ n: Number(process.argv[2] || 1000) }), 'keystroke echo latency');
}
