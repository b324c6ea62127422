// cluster.mjs - cluster mode against a single node on the same machine.
//
// Batch throughput: N Python hello-world runs through POST /api/runs with
// 2 x CPUs requests in flight, on a single node (the baseline) and on a
// cluster (a real redis-server, one gateway) with one worker, then two.
// Every node runs 2 programs at once (--api-concurrency 2 on the single
// node and on each worker), so one worker is the single node's
// capacity plus Redis; on this machine two workers share the same cores:
// the figures say what the hops cost and that nothing is lost, not that
// the cluster scales.
// Interactive latency: one keystroke to `cat` on the run's terminal and
// its echo back, through gateway -> Redis -> worker -> Redis -> gateway,
// against the same through a single node.
//   node bench/cluster.mjs [N]
import http from 'node:http';
import os from 'node:os';
import { startCluster, redisAvailable } from '../tests/lib/cluster.mjs';
import { CoderoomClient, sleep } from '../tests/lib/clients.mjs';
import { startServer } from '../tests/lib/server.mjs';
import { fmt, isMain, percentile, printTable, ratio } from './lib.mjs';

const LIMITS = ['--cpu-ms', '600000', '--wall-ms', '600000', '--batch-cpu-ms', '60000',
  '--api-queue', '100000', '--log-level', 'warn'];

function post(agent, port, body) {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request({ host: '127.0.0.1', port, path: '/api/runs', method: 'POST', agent,
      headers: { 'Content-Type': 'application/json', 'Content-Length': data.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(Buffer.concat(chunks).toString()); } catch { /* counted as lost */ }
        resolve({ status: res.statusCode, json });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/* N runs with conc in flight: {rps, lost}. */
async function batchRate(port, n, conc) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
  let left = n;
  let lost = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: conc }, async () => {
    while (left-- > 0) {
      const i = left;
      const r = await post(agent, port, { language: 'python', code: `print("run ${i}")` });
      if (r.status !== 200 || r.json?.run?.stdout !== `run ${i}\n`) lost++;
    }
  }));
  const secs = (performance.now() - t) / 1000;
  agent.destroy();
  return { rps: n / secs, lost };
}

/* Keystroke -> echo latencies (ms, sorted) through wsUrl. */
async function echoLatency(wsUrl, n) {
  const c = await CoderoomClient.connect(wsUrl);
  try {
    await c.run("import os\nos.execvp('cat', ['cat'])\n");
    let got = '';
    let waiter = null;
    c.ws.on('message', (d, bin) => {
      if (!bin || d[0] !== 1) return;
      got += d.subarray(1).toString('latin1');
      if (waiter && got.includes(waiter.ch)) { const w = waiter; waiter = null; w.resolve(); }
    });
    const echoOf = (ch) => new Promise((resolve, reject) => {
      waiter = { ch, resolve };
      setTimeout(() => reject(new Error(`no echo of ${ch} within 10 s`)), 10000).unref();
    });
    const key = (ch) => c.sendBinary(Buffer.from([0, ch.charCodeAt(0)]));
    const warm = echoOf('w');
    key('w');
    await warm;
    const v = [];
    for (let i = 0; i < n; i++) {
      if (i % 100 === 99) { key('\r'); await sleep(30); got = ''; continue; }
      const ch = String.fromCharCode(97 + (i % 26));
      got = '';
      const p = echoOf(ch);
      const t0 = performance.now();
      key(ch);
      await p;
      v.push(performance.now() - t0);
      await sleep(2);
    }
    return v.sort((a, b) => a - b);
  } finally { await c.close(); }
}

export async function run({ n = 200, keys = 300 } = {}) {
  if (!redisAvailable()) throw new Error('redis-server is not installed (scripts/setup.sh --test)');
  const conc = 2 * os.cpus().length;
  const rows = [];

  const single = await startServer({ args: [...LIMITS, '--api-concurrency', '2'], timeoutMs: 30000 });
  let base, baseEcho;
  try {
    await batchRate(single.port, 10, conc);	// warm up
    base = await batchRate(single.port, n, conc);
    baseEcho = await echoLatency(single.wsUrl, keys);
  } finally { await single.stop(); }

  const one = await startCluster({ gateways: 1, workers: 1, args: LIMITS, workerArgs: ['--api-concurrency', '2'] });
  let c1, c1Echo;
  try {
    await batchRate(one.gateways[0].port, 10, conc);
    c1 = await batchRate(one.gateways[0].port, n, conc);
    c1Echo = await echoLatency(one.gateways[0].wsUrl, keys);
  } finally { await one.stop(); }

  const two = await startCluster({ gateways: 1, workers: 2, args: LIMITS, workerArgs: ['--api-concurrency', '2'] });
  let c2;
  try {
    await batchRate(two.gateways[0].port, 10, conc);
    c2 = await batchRate(two.gateways[0].port, n, conc);
  } finally { await two.stop(); }

  rows.push({ metric: 'cluster, 1 worker: batch runs/s', coderoom: fmt(c1.rps, 1), baseline: fmt(base.rps, 1),
    ratio: ratio(c1.rps, base.rps), base_name: 'a single node (no Redis)',
    note: `${n} Python runs, ${conc} in flight, 2 programs at once per node; lost: ${c1.lost} (single node: ${base.lost})` });
  rows.push({ metric: 'cluster, 2 workers: batch runs/s', coderoom: fmt(c2.rps, 1), baseline: fmt(base.rps, 1),
    ratio: ratio(c2.rps, base.rps), base_name: 'a single node (no Redis)',
    note: `both workers on the same ${os.cpus().length} cores; lost: ${c2.lost}` });
  for (const q of [0.5, 0.99]) {
    const a = percentile(c1Echo, q);
    const b = percentile(baseEcho, q);
    rows.push({ metric: `keystroke echo p${q * 100} through Redis (ms)`, coderoom: fmt(a), baseline: fmt(b),
      ratio: ratio(a, b), base_name: 'the same through a single node',
      note: q === 0.5 ? `added per keystroke: ${fmt(a - b)} ms (a Redis stream each way: input to the worker, its echo back)` : undefined });
  }
  return rows;
}

if (isMain(import.meta)) {
  const rows = await run({ n: Number(process.argv[2] || 200) });
  printTable(rows, 'cluster mode');
}
