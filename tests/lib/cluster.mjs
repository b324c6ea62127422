// cluster.mjs - a real cluster for a test: a redis-server of its own and
// coderoom nodes (gateways, workers) as separate processes.
//
//   startRedis({ persist })   redis-server on 127.0.0.1 at a free port, in
//                             its own temp dir with its own config; returns
//                             { port, url, pid, dir, cli(...args), stop(),
//                               kill(), restart() }
//   startCluster({ gateways, workers, args, gatewayArgs, workerArgs })
//                             Redis plus the nodes, waiting until every
//                             gateway sees every worker; returns
//                             { redis, gateways: [srv], workers: [srv],
//                               stop() }
//   redisAvailable()          whether redis-server is installed (the suite
//                             is skipped, by name, when it is not)
//
// Redis is stopped by its PID (SIGTERM, SIGKILL after 5 s); restart() starts
// it again on the same port and directory, so with persist (AOF,
// appendfsync always: what docs/operations.md requires) its data survives.
// cli() runs redis-cli against it and resolves with its stdout lines.
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './server.mjs';
import { getJSON, sleep } from './clients.mjs';

const REDIS = '/usr/bin/redis-server';
const REDIS_CLI = '/usr/bin/redis-cli';

export function redisAvailable() {
  return fs.existsSync(REDIS) && fs.existsSync(REDIS_CLI);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const live = new Set();
process.on('exit', () => {
  for (const p of live) { try { p.kill('SIGKILL'); } catch { /* gone */ } }
});

export async function startRedis({ persist = true } = {}) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-redis-'));
  const conf = path.join(dir, 'redis.conf');
  fs.writeFileSync(conf, [
    `port ${port}`,
    'bind 127.0.0.1',
    'protected-mode yes',
    `dir ${dir}`,
    'daemonize no',
    'save ""',
    `appendonly ${persist ? 'yes' : 'no'}`,
    'appendfsync always',
    'logfile ""',
    'databases 4',
  ].join('\n') + '\n');

  let proc = null;
  let log = '';
  const startProc = async () => {
    proc = spawn(REDIS, [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(proc);
    const p = proc;
    p.exited = new Promise((resolve) => p.on('exit', (code, sig) => { live.delete(p); resolve(code ?? sig); }));
    await new Promise((resolve, reject) => {
      const onData = (c) => {
        log += c.toString();
        if (/Ready to accept connections/.test(log)) resolve();
      };
      p.stdout.on('data', onData);
      p.stderr.on('data', onData);
      p.exited.then(() => reject(new Error(`redis-server exited before it was ready:\n${log.slice(-2000)}`)));
      setTimeout(() => reject(new Error(`redis-server not ready within 15 s:\n${log.slice(-2000)}`)), 15000).unref();
    });
  };
  await startProc();

  const r = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get pid() { return proc?.pid; },
    logs: () => log,
    cli: (...args) => new Promise((resolve, reject) => {
      execFile(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args.map(String)],
        { timeout: 15000 }, (err, stdout) => {
          if (err) reject(err); else resolve(stdout === '' ? [] : stdout.replace(/\n$/, '').split('\n'));
        });
    }),
    async stop(signal = 'SIGTERM') {
      if (!proc || proc.exitCode !== null || proc.signalCode) return;
      const p = proc;
      try { p.kill(signal); } catch { /* gone */ }
      const t = setTimeout(() => { try { p.kill('SIGKILL'); } catch { /* gone */ } }, 5000);
      await p.exited;
      clearTimeout(t);
    },
    async kill() { await r.stop('SIGKILL'); },
    async restart() { await r.stop(); await startProc(); },
    async remove() {
      await r.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return r;
}

/* Waits until every gateway's /api/health lists `workers` workers. */
export async function waitWorkers(gateways, workers, { timeout = 30000 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    let ok = true;
    for (const g of gateways) {
      const h = (await getJSON(`${g.url}/api/health`)).json;
      if ((h?.cluster?.workers || []).length !== workers) ok = false;
    }
    if (ok) return;
    if (Date.now() > end) throw new Error(`the gateways did not see ${workers} workers within ${timeout} ms`);
    await sleep(100);
  }
}

export async function startCluster({
  gateways = 2, workers = 2, args = [], gatewayArgs = [], workerArgs = [], persist = true,
  redis = null,
} = {}) {
  const rd = redis || await startRedis({ persist });
  const gw = [];
  const wk = [];
  const tag = Math.random().toString(36).slice(2, 6);
  try {
    for (let i = 0; i < workers; i++) {
      wk.push(await startServer({
        args: ['--redis', rd.url, '--role', 'worker', '--node-id', `wk${i + 1}-${tag}`, ...args, ...workerArgs],
      }));
    }
    for (let i = 0; i < gateways; i++) {
      gw.push(await startServer({
        args: ['--redis', rd.url, '--role', 'gateway', '--node-id', `gw${'ab'[i] || i}-${tag}`, ...args, ...gatewayArgs],
      }));
    }
    await waitWorkers(gw, workers);
  } catch (e) {
    for (const s of [...gw, ...wk]) await s.stop();
    if (!redis) await rd.remove();
    throw e;
  }
  return {
    redis: rd,
    gateways: gw,
    workers: wk,
    tag,
    async stop() {
      await Promise.all([...gw, ...wk].map((s) => s.stop()));
      if (!redis) await rd.remove();
      // a sanitizer build (CODEROOM_BIN=build-san/coderoom) reports here
      for (const s of [...gw, ...wk]) {
        const m = /(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:)[^]{0,3000}/.exec(s.logs());
        if (m) throw new Error(`a node reported a memory error:\n${m[0]}`);
      }
    },
  };
}

/* The run's record in Redis, as an object. */
export async function runRecord(redis, runId) {
  const lines = await redis.cli('HGETALL', `coderoom:run:${runId}`);
  const o = {};
  for (let i = 0; i + 1 < lines.length; i += 2) o[lines[i]] = lines[i + 1];
  return o;
}

/* The job streams: interactive runs, batch runs. */
export const JOBS_I = 'coderoom:jobs:i';
export const JOBS_B = 'coderoom:jobs:b';

/* Jobs delivered to a worker and not acknowledged (XPENDING's count),
 * both streams. */
export async function pendingJobs(redis) {
  let n = 0;
  for (const key of [JOBS_I, JOBS_B]) {
    try {
      const lines = await redis.cli('XPENDING', key, 'workers');
      n += Number(lines[0] || 0);
    } catch { /* no stream yet */ }
  }
  return n;
}

/* Entries in a job stream (waiting or claimed). */
export async function jobsIn(redis, key) {
  return Number((await redis.cli('XLEN', key))[0] || 0);
}

/* The consumer names of both job streams' groups. */
export async function jobConsumers(redis) {
  const names = [];
  for (const key of [JOBS_I, JOBS_B]) {
    try {
      const lines = await redis.cli('XINFO', 'CONSUMERS', key, 'workers');
      for (let i = 0; i + 1 < lines.length; i++) if (lines[i] === 'name') names.push(lines[i + 1]);
    } catch { /* no stream yet */ }
  }
  return names;
}
