// throughput.mjs - output throughput reaching a WebSocket client, and the
// server's memory meanwhile, against reading the same program from a pty.
//
// The program writes 200 MB of 1 KiB lines as fast as it can. The client
// reads eagerly (no ack flow control: the socket paces the server). The
// clock runs from the first output byte to the last. The server's VmHWM
// (peak RSS) is read from /proc before and after. Baseline: the same program
// on a local pty, read by python (bench/pty_baseline.py throughput).
//   node bench/throughput.mjs [MB]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoderoomClient, procMem } from '../tests/lib/clients.mjs';
import { fmt, isMain, printTable, ptyBaseline, ratio, startBenchServer } from './lib.mjs';

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
  const srv = await startBenchServer();
  let bytes = 0, first = 0, last = 0, ex;
  const before = procMem(srv.pid);
  let peakRss = before.rss;
  try {
    const c = await CoderoomClient.connect(srv.wsUrl);
    // count bytes ourselves instead of keeping 200 MB in the client
    c.ws.removeAllListeners('message');
    const done = new Promise((resolve) => {
      c.ws.on('message', (d, bin) => {
        if (bin) {
          if (d[0] === 1) { if (!first) first = performance.now(); bytes += d.length - 1; last = performance.now(); }
          return;
        }
        const m = JSON.parse(d.toString());
        if (m.type === 'exited') resolve(m);
        else if (m.type === 'error') resolve(m);
      });
    });
    const sampler = setInterval(() => { const m = procMem(srv.pid); if (m) peakRss = Math.max(peakRss, m.rss); }, 50);
    c.send({ type: 'run', code: producer(mb) });
    ex = await done;
    clearInterval(sampler);
    await c.close();
  } finally {
    var after = procMem(srv.pid);
    await srv.stop();
  }
  const secs = (last - first) / 1000;
  const mbs = bytes / 1e6 / secs;
  const tmp = path.join(os.tmpdir(), `coderoom-bench-producer-${process.pid}.py`);
  fs.writeFileSync(tmp, producer(mb));
  let base;
  try { base = ptyBaseline('throughput', tmp); } finally { fs.rmSync(tmp, { force: true }); }
  const note = ex?.type === 'exited' && ex.status === 'ok' ? null : `run ended ${JSON.stringify(ex).slice(0, 200)}`;
  return [
    { metric: `output throughput, ${mb} MB (MB/s)`, coderoom: fmt(mbs, 1), baseline: fmt(base.mb_s, 1), ratio: ratio(mbs, base.mb_s), base_name: 'local pty read', note },
    { metric: 'bytes received (MB)', coderoom: fmt(bytes / 1e6, 1), baseline: fmt(base.bytes / 1e6, 1), base_name: '' },
    { metric: 'server peak RSS during it (MiB)', coderoom: fmt(Math.max(after?.hwm ?? 0, peakRss) / 1048576, 1), baseline: fmt(before.rss / 1048576, 1), ratio: ratio(Math.max(after?.hwm ?? 0, peakRss), before.rss), base_name: 'server RSS before' },
  ];
}

if (isMain(import.meta)) {
  printTable(await run({ mb: Number(process.argv[2] || 200) }), 'output throughput');
}
