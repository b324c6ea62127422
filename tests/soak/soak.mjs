// soak.mjs - 'make soak': hold many WebSocket clients and run programs
// through every API for a while; then check that nothing grew or leaked.
//
//   SOAK_MINUTES (10)   how long the load runs
//   SOAK_CLIENTS (1000) idle /ws clients held open the whole time (a
//                       sample of them is pinged every round)
//   SOAK_RUNNERS (4)    runs in flight at once, each through the next API
//
// Every 10 s a line: server RSS, open fds, runs started/ended (ours and
// the server's), queue length, clients connected. The checks at the end:
//   * RSS flat after warm-up: the median of the last third of the samples
//     is within 5% + 2 MiB of the median of the second third;
//   * fds: back to the count after the clients connected (no run going);
//   * no cgroup of a run left behind (only the warm pool's);
//   * every run accounted for: each one started got exactly one result
//     with the right output, and the server counted as many as we did.
// Exit 0 when all hold. Adding an API: one entry in 'apis' below.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import WebSocket from 'ws';
import { startServer } from '../lib/server.mjs';
import {
  CoderoomClient, ExecuteClient, health, httpRequest, postJSON, sleep, waitNoRuns, waitUntil,
} from '../lib/clients.mjs';
import { spawnerOf } from '../lib/procs.mjs';

const MINUTES = Number(process.env.SOAK_MINUTES || 10);
const CLIENTS = Number(process.env.SOAK_CLIENTS || 1000);
const RUNNERS = Number(process.env.SOAK_RUNNERS || 4);
const SAMPLE_MS = 10000;

const tok = (api, n) => `soak-${api}-${n}-${Math.random().toString(36).slice(2, 8)}`;
const py = (t) => `import sys\nname = sys.stdin.readline().strip()\nprint('${t}', name)\nsys.stderr.write('e')\n`;
const C = (t) => `#include <stdio.h>\nint main(void){ char b[64]; if (!fgets(b, sizeof b, stdin)) return 1; printf("${t} %s", b); return 0; }\n`;

/* One run through one API; resolves with the output it got (or throws). */
const apis = [
  {
    name: 'ws', async run(srv, t) {
      const c = await CoderoomClient.connect(srv.wsUrl);
      try {
        await c.run(`print('${t}', input())\n`);
        await c.waitType('waiting_for_input', { timeout: 30000 });
        c.input('x\r');
        const ex = await c.waitExit({ timeout: 30000 });
        assert.equal(ex.status, 'ok', JSON.stringify(ex));
        return c.out.replace(/\r/g, '').split('\n').find((l) => l.startsWith(t));
      } finally { await c.close(); }
    },
  },
  {
    name: 'ws-execute', async run(srv, t) {
      const c = await ExecuteClient.connect(srv.wsUrl);
      try {
        c.execute(py(t), 'python');
        await c.waitType('input_request', { timeout: 30000 });
        c.send({ type: 'input_response', data: 'x' });
        const done = await c.waitType('complete', { timeout: 30000 });
        assert.equal(done.exit_code, 0, JSON.stringify(c.messages.slice(-3)));
        return c.stdout.trim();
      } finally { c.close(); }
    },
  },
  {
    name: 'api-runs', async run(srv, t, n) {
      const compiled = n % 5 === 0;	// every 5th: C, compiled once, then cached
      const r = await postJSON(srv.url + '/api/runs', { language: compiled ? 'c' : 'python', code: compiled ? C('soak-c') : py(t), stdin: 'x\n' }, { timeout: 60000 });
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.equal(r.json.run.status, 'ok', r.text.slice(0, 300));
      return compiled ? r.json.run.stdout.replace('soak-c', t).trim() : r.json.run.stdout.trim();
    },
  },
  {
    name: 'api-execute', async run(srv, t) {
      const r = await postJSON(srv.url + '/api/execute', { code: py(t), stdin: 'x\n' }, { timeout: 60000 });
      assert.equal(r.json?.status, 'completed', r.text.slice(0, 300));
      return r.json.stdout.trim();
    },
  },
  {
    name: 'run_code', async run(srv, t) {
      const r = await postJSON(srv.url + '/run_code', { code: py(t), stdin: 'x\n' }, { timeout: 60000 });
      assert.equal(r.json?.status, 'completed', r.text.slice(0, 300));
      return r.json.stdout.trim();
    },
  },
  {
    name: 'piston-http', async run(srv, t) {
      const r = await postJSON(srv.url + '/api/v2/execute', { language: 'python', version: '*', files: [{ content: py(t) }], stdin: 'x\n' }, { timeout: 60000 });
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.equal(r.json.run.code, 0, r.text.slice(0, 300));
      return r.json.run.stdout.trim();
    },
  },
  {
    name: 'piston-ws', run(srv, t) {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(srv.wsUrl + '/api/v2/connect');
        let out = '';
        const timer = setTimeout(() => { ws.terminate(); reject(new Error(`piston-ws: no close: ${out}`)); }, 60000);
        ws.on('open', () => {
          ws.send(JSON.stringify({ type: 'init', language: 'python', version: '*', files: [{ content: py(t) }] }));
          ws.send(JSON.stringify({ type: 'data', stream: 'stdin', data: 'x\n' }));
        });
        ws.on('message', (m) => {
          const j = JSON.parse(m.toString());
          if (j.type === 'data' && j.stream === 'stdout') out += j.data;
          if (j.type === 'exit' && j.stage === 'run' && j.code !== 0) reject(new Error(`piston-ws: ${m}`));
        });
        ws.on('close', (code) => {
          clearTimeout(timer);
          if (code === 4999) resolve(out.trim()); else reject(new Error(`piston-ws closed ${code}: ${out}`));
        });
        ws.on('error', reject);
      });
    },
  },
];

function procStats(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    rss: Number(/^VmRSS:\s+(\d+) kB/m.exec(s)[1]) * 1024,
    fds: fs.readdirSync(`/proc/${pid}/fd`).length,
  };
}

async function metric(srv, name) {
  const r = await httpRequest(srv.url + '/metrics');
  let sum = 0;
  for (const line of r.text.split('\n')) {
    if (line.startsWith(name + ' ') || line.startsWith(name + '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/* Runs of this server's spawner left in cgroups (the warm pool's are not). */
function leftoverCgroups(srv) {
  const sp = spawnerOf(srv.pid);
  const left = [];
  for (const c of ['memory', 'pids', 'cpuacct', 'freezer', 'unified', '']) {
    const dir = `/sys/fs/cgroup/${c}${c ? '/' : ''}coderoom/i${sp}`;
    let names = [];
    try { names = fs.readdirSync(dir); } catch { continue; }
    for (const n of names) if (n.startsWith('run-') && !n.startsWith('run-warm-')) left.push(`${dir}/${n}`);
  }
  return left;
}

const mib = (b) => (b / 1048576).toFixed(1);
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

async function main() {
  console.log(`soak: ${CLIENTS} clients, ${RUNNERS} runners, ${MINUTES} min, APIs: ${apis.map((a) => a.name).join(' ')}`);
  const srv = await startServer({
    args: ['--ws-per-client', '1000000', '--max-runs', String(RUNNERS * 3), '--api-concurrency', String(RUNNERS), '--api-queue', '1024',
      '--log-level', 'warn', '--reattach-grace-ms', '2000'],
  });
  const problems = [];
  const clients = [];
  try {
    // the idle crowd, connected in batches
    for (let i = 0; i < CLIENTS; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, CLIENTS - i) },
        () => CoderoomClient.connect(srv.wsUrl, { helloTimeout: 30000 })));
      clients.push(...batch);
    }
    await waitUntil(async () => (await health(srv.url)).connections >= CLIENTS, { timeout: 30000, what: 'clients connected' });
    const base = procStats(srv.pid);
    const started0 = await metric(srv, 'coderoom_runs_started_total');
    console.log(`soak: ${clients.length} clients connected; server RSS ${mib(base.rss)} MiB, ${base.fds} fds`);

    const count = { started: 0, ok: 0, failed: 0, byApi: Object.fromEntries(apis.map((a) => [a.name, 0])) };
    const until = Date.now() + MINUTES * 60000;
    let n = 0;
    const runner = async () => {
      while (Date.now() < until) {
        const i = n++;
        const api = apis[i % apis.length];
        const t = tok(api.name, i);
        count.started++;
        count.byApi[api.name]++;
        try {
          const line = await api.run(srv, t, i);
          if (line !== `${t} x`) throw new Error(`output ${JSON.stringify(line)}, wanted ${JSON.stringify(`${t} x`)}`);
          count.ok++;
        } catch (e) {
          count.failed++;
          if (problems.length < 20) problems.push(`${api.name} #${i}: ${e.message.slice(0, 300)}`);
        }
      }
    };
    const samples = [];
    const t0 = Date.now();
    const sampler = (async () => {
      while (Date.now() < until) {
        await sleep(SAMPLE_MS);
        const p = procStats(srv.pid);
        const h = await health(srv.url);
        const q = await metric(srv, 'coderoom_queue_length');
        const alive = clients.filter((c) => !c.closed).length;
        samples.push({ t: Date.now() - t0, ...p });
        console.log(`soak: ${String(Math.round((Date.now() - t0) / 1000)).padStart(4)} s  rss ${mib(p.rss)} MiB  fds ${p.fds}  ` +
          `runs ${count.started} started ${count.ok + count.failed} ended (server ${h.runs_total - started0})  ` +
          `active ${h.runs_active}  queue ${q}  clients ${alive}  failed ${count.failed}`);
        // a sample of the crowd still answers
        await Promise.all(clients.slice(0, 20).map(async (c, k) => {
          const since = c.events.length;
          c.send({ type: 'ping', k });
          await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'pong', { since, timeout: 10000, what: 'pong' })
            .catch((e) => problems.length < 20 && problems.push(`idle client ${k}: ${e.message.slice(0, 200)}`));
        }));
      }
    })();
    await Promise.all([...Array.from({ length: RUNNERS }, runner), sampler]);
    await waitNoRuns(srv, 60000);

    // the checks
    const third = Math.floor(samples.length / 3);
    const mid = median(samples.slice(third, 2 * third).map((s) => s.rss));
    const last = median(samples.slice(2 * third).map((s) => s.rss));
    const end = procStats(srv.pid);
    const started = (await metric(srv, 'coderoom_runs_started_total')) - started0;
    const ended = await metric(srv, 'coderoom_runs_total');
    const left = leftoverCgroups(srv);
    const alive = clients.filter((c) => !c.closed).length;
    console.log(`soak: ${count.started} runs (${Object.entries(count.byApi).map(([k, v]) => `${k} ${v}`).join(', ')}), ` +
      `${count.ok} ok, ${count.failed} failed; server: ${started} started, ${ended} ended`);
    console.log(`soak: RSS after warm-up: median ${mib(mid)} MiB (2nd third) -> ${mib(last)} MiB (last third); ` +
      `min ${mib(Math.min(...samples.map((s) => s.rss)))} max ${mib(Math.max(...samples.map((s) => s.rss)))} MiB`);
    console.log(`soak: fds ${base.fds} after connecting -> ${end.fds} at the end; cgroups left: ${left.length}; clients still open: ${alive}`);
    if (samples.length < 6) problems.push(`only ${samples.length} samples: run longer (SOAK_MINUTES)`);
    if (last > mid * 1.05 + 2 * 1048576) problems.push(`RSS grew after warm-up: ${mib(mid)} -> ${mib(last)} MiB`);
    if (Math.abs(end.fds - base.fds) > 2) problems.push(`fds: ${base.fds} -> ${end.fds}`);
    if (left.length) problems.push(`cgroups left: ${left.slice(0, 5).join(' ')}`);
    if (count.ok + count.failed !== count.started) problems.push(`runs without a result: ${count.started - count.ok - count.failed}`);
    if (started !== count.started) problems.push(`the server started ${started} runs, we asked for ${count.started}`);
    if (ended !== started) problems.push(`the server ended ${ended} of ${started} runs`);
    if (alive !== CLIENTS) problems.push(`${CLIENTS - alive} idle clients were disconnected`);
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    const code = await srv.stop();
    if (code !== 0) problems.push(`server exit code ${code}: ${srv.logs().slice(-2000)}`);
  }
  if (problems.length) {
    console.log('soak: FAILED');
    for (const p of problems) console.log(`  ${p}`);
    process.exit(1);
  }
  console.log('soak: passed');
}

main().catch((e) => { console.error(e); process.exit(1); });
