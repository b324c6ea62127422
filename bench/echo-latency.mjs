// echo-latency.mjs - keystroke echo latency through /ws, against a local pty.
//
// The program is `cat` on the run's terminal. One byte goes out as a binary
// input frame (0x00 + byte); the clock stops when the terminal's echo of that
// byte arrives as output. The baseline times the same write -> echo on a
// local pty running cat (bench/pty_baseline.py): the difference is what the
// server, the sandbox and the WebSocket add. Also: ping -> pong round trip
// (the WebSocket and JSON path alone).
//   node bench/echo-latency.mjs [N]
import { CoderoomClient, sleep } from '../tests/lib/clients.mjs';
import { fmt, isMain, percentile, printTable, ptyBaseline, ratio, startBenchServer } from './lib.mjs';

export async function run({ n = 1000 } = {}) {
  const srv = await startBenchServer();
  const samples = [];
  const pings = [];
  try {
    const c = await CoderoomClient.connect(srv.wsUrl);
    await c.run("import os\nos.execvp('cat', ['cat'])\n");
    // wait until the echo works (cat is reading its terminal)
    let got = '';
    let waiter = null;
    c.ws.on('message', (d, bin) => {
      if (!bin || d[0] !== 1) return;
      got += d.subarray(1).toString('latin1');
      if (waiter && got.includes(waiter.ch)) { const w = waiter; waiter = null; w.resolve(); }
    });
    const echoOf = (ch, timeout = 5000) => new Promise((resolve, reject) => {
      waiter = { ch, resolve };
      setTimeout(() => reject(new Error(`no echo of ${JSON.stringify(ch)} within ${timeout} ms; got ${JSON.stringify(got.slice(-80))}`)), timeout).unref();
    });
    const key = (ch) => c.sendBinary(Buffer.from([0, ch.charCodeAt(0)]));
    got = '';
    const warm = echoOf('w');
    key('w');
    await warm;
    for (let i = 0; i < n; i++) {
      if (i % 100 === 99) { // end the line: the canonical line buffer holds 4095 bytes
        key('\r');
        await sleep(30);
        got = '';
        continue;
      }
      const ch = String.fromCharCode(97 + (i % 26));
      got = '';
      const p = echoOf(ch);
      const t0 = performance.now();
      key(ch);
      await p;
      samples.push(performance.now() - t0);
      await sleep(2);
    }
    for (let i = 0; i < 100; i++) {
      const since = c.events.length;
      const t0 = performance.now();
      c.send({ type: 'ping', i });
      await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'pong' && e.msg.i === i, { since, timeout: 5000 });
      pings.push(performance.now() - t0);
      await sleep(20); // stay under the 64 messages/s control limit
    }
    await c.close();
  } finally { await srv.stop(); }
  samples.sort((a, b) => a - b);
  pings.sort((a, b) => a - b);
  const base = ptyBaseline('echo', n);
  const p50 = percentile(samples, 0.5), p99 = percentile(samples, 0.99);
  return [
    { metric: 'keystroke echo p50 (ms)', coderoom: fmt(p50, 3), baseline: fmt(base.p50_ms, 3), ratio: ratio(p50, base.p50_ms), base_name: 'local pty + cat' },
    { metric: 'keystroke echo p99 (ms)', coderoom: fmt(p99, 3), baseline: fmt(base.p99_ms, 3), ratio: ratio(p99, base.p99_ms), base_name: 'local pty + cat' },
    { metric: 'ws ping->pong p50 (ms)', coderoom: fmt(percentile(pings, 0.5), 3), base_name: '(no baseline)' },
  ];
}

if (isMain(import.meta)) {
  printTable(await run({ n: Number(process.argv[2] || 1000) }), 'keystroke echo latency');
}
