// throughput.mjs - output throughput reaching a WebSocket client, side by
// side with a bare local pty read and with ttyd, and the server's memory
// meanwhile.
//
// The program writes MB megabytes of 1 KiB lines as fast as it can. The
// client (bench/term_client.c, the same against each) reads eagerly (no
// ack flow control: the socket paces the server); the clock runs from the
// first output byte to the last. Targets take turns for a few rounds; each
// one's best round counts (the least disturbed by the machine's other
// work). The server's peak RSS is sampled meanwhile.
//   node bench/throughput.mjs [MB]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { procMem } from '../tests/lib/clients.mjs';
import { fmt, isMain, printTable, ratio, startBenchServer } from './lib.mjs';
import { cpuNs, startTtyd, termClient, termClientAsync, ttydPath, ttydVersion } from './term.mjs';

const ROUNDS = 3;

export function producer(mb) {
  return `import os
LIMIT = ${mb} * 1000 * 1000
block = (b'x' * 1023 + b'\\n') * 64
n = 0
while n < LIMIT:
    n += os.write(1, block)
`;
}

export async function run({ mb = 200 } = {}) {
  const tmp = path.join(os.tmpdir(), `coderoom-bench-producer-${process.pid}.py`);
  fs.writeFileSync(tmp, producer(mb));
  const srv = await startBenchServer();
  const bin = ttydPath();
  let ttyd = null, ttydErr = null;
  if (bin) { try { ttyd = await startTtyd(bin, ['python3', tmp]); } catch (e) { ttydErr = e.message; } }
  const best = { pty: null, coderoom: null, ttyd: null };
  const cpu = { coderoom: [], ttyd: [] }; // server CPU ms per MB, each round
  const keep = (k, r) => { if (!best[k] || r.mb_s > best[k].mb_s) best[k] = r; };
  const before = procMem(srv.pid);
  let peakRss = before.rss, after;
  try {
    for (let r = 0; r < ROUNDS; r++) {
      keep('pty', termClient('tput', 'pty', tmp));
      const sampler = setInterval(() => { const m = procMem(srv.pid); if (m) peakRss = Math.max(peakRss, m.rss); }, 50);
      let c0 = cpuNs(srv.pid);
      try { keep('coderoom', await termClientAsync('tput', 'coderoom', `${srv.wsUrl}/ws`, tmp)); } finally { clearInterval(sampler); }
      cpu.coderoom.push((cpuNs(srv.pid) - c0) / 1e6 / mb);
      if (ttyd) {
        c0 = cpuNs(ttyd.pid);
        keep('ttyd', termClient('tput', 'ttyd', ttyd.url));
        cpu.ttyd.push((cpuNs(ttyd.pid) - c0) / 1e6 / mb);
      }
    }
  } finally {
    after = procMem(srv.pid);
    await srv.stop();
    await ttyd?.stop();
    fs.rmSync(tmp, { force: true });
  }
  const cr = best.coderoom, base = best.pty;
  const rows = [
    { metric: `output throughput, ${mb} MB (MB/s)`, coderoom: fmt(cr.mb_s, 1), baseline: fmt(base.mb_s, 1), ratio: ratio(cr.mb_s, base.mb_s), base_name: 'bare local pty read, same client',
      note: `best of ${ROUNDS} rounds each, taking turns; bench/term_client.c` },
  ];
  if (ttyd) {
    rows.push({ metric: `output throughput vs ttyd (MB/s)`, coderoom: fmt(cr.mb_s, 1), baseline: fmt(best.ttyd.mb_s, 1), ratio: ratio(cr.mb_s, best.ttyd.mb_s), base_name: `ttyd ${ttydVersion(bin)}, same client` });
  } else {
    rows.push({ metric: 'output throughput vs ttyd', coderoom: '-', base_name: 'ttyd',
      note: ttydErr || 'ttyd is not installed (Debian 12 has no package): TTYD=/path/to/ttyd make bench adds this row' });
  }
  const low = (v) => (v.length ? Math.min(...v) : null);
  rows.push({ metric: 'server CPU per MB of output (ms)', coderoom: fmt(low(cpu.coderoom), 2),
    baseline: ttyd ? fmt(low(cpu.ttyd), 2) : '-', ratio: ttyd ? ratio(low(cpu.coderoom), low(cpu.ttyd)) : '-',
    base_name: ttyd ? 'ttyd, its process' : '(no ttyd)' });
  rows.push({ metric: 'bytes received (MB)', coderoom: fmt(cr.bytes / 1e6, 1), baseline: fmt(base.bytes / 1e6, 1), base_name: '' });
  rows.push({ metric: 'server peak RSS during it (MiB)', coderoom: fmt(Math.max(after?.hwm ?? 0, peakRss) / 1048576, 1), baseline: fmt(before.rss / 1048576, 1), ratio: ratio(Math.max(after?.hwm ?? 0, peakRss), before.rss), base_name: 'server RSS before' });
  return rows;
}

if (isMain(import.meta)) {
  printTable(await run({ mb: Number(process.argv[2] || 200) }), 'output throughput');
}
