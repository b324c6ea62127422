// failures.test.mjs - nodes that die: a worker killed with SIGKILL in the
// middle of runs, a job claimed by a worker that never ran it, a gateway
// killed with SIGKILL while its client's run goes on.
//
// Every assertion waits for the event it checks (exited with worker_lost,
// the job queued again), with generous hang guards only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import {
  startCluster, redisAvailable, runRecord, pendingJobs, waitWorkers, jobsIn, jobConsumers, JOBS_B,
} from '../lib/cluster.mjs';
import { CoderoomClient, getJSON, postJSON, waitUntil, sleep } from '../lib/clients.mjs';

const skip = !redisAvailable() && 'redis-server is not installed (scripts/setup.sh --test)';
let cl, A, B, second;
before(async () => {
  if (skip) return;
  // one worker for now (runs must land on it); the second comes later
  cl = await startCluster({ gateways: 2, workers: 1, workerArgs: ['--max-runs', '2'] });
  [A, B] = cl.gateways;
});
after(async () => {
  await second?.stop();
  await cl?.stop();
});

const nodeOf = async (srv) => (await getJSON(`${srv.url}/api/health`)).json.cluster.node;

/* The batch run a worker holds, from the run records in Redis. */
async function batchRecords(redis) {
  const keys = await redis.cli('KEYS', 'coderoom:run:*');
  const out = [];
  for (const k of keys) {
    const rec = await runRecord(redis, k.slice('coderoom:run:'.length));
    if (rec.mode === 'pipes') out.push(rec);
  }
  return out;
}

test('kill -9 a worker mid-run: its clients get worker_lost, new runs go to the other, nothing pending', { skip }, async () => {
  const victim = cl.workers[0];
  const victimId = await nodeOf(victim);
  const a = await CoderoomClient.connect(A.wsUrl);
  const b = await CoderoomClient.connect(B.wsUrl);
  try {
    const { run } = await a.run('import time\nfor i in range(1000):\n    print("tick", i, flush=True)\n    time.sleep(0.1)\n');
    await a.waitOutput('tick 3');
    b.attach(run);
    await b.waitType('attached', { timeout: 15000 });
    const batch = postJSON(`${B.url}/api/runs`, { language: 'python', code: 'import time\nprint("start", flush=True)\ntime.sleep(60)' },
      { timeout: 90000 });
    await waitUntil(async () => (await batchRecords(cl.redis)).some((r) => r.st === 'run' && r.w === victimId),
      { timeout: 20000, what: 'the batch run to start on the victim' });
    assert.equal((await runRecord(cl.redis, run)).w, victimId);

    second = await startServer({ args: ['--redis', cl.redis.url, '--role', 'worker', '--node-id', `wk2-${cl.tag}`, '--max-runs', '1',
      '--api-concurrency', '1'] });
    await waitWorkers([A, B], 2);

    process.kill(victim.pid, 'SIGKILL');
    const [ea, eb, br] = await Promise.all([a.waitExit({ timeout: 30000 }), b.waitExit({ timeout: 30000 }), batch]);
    for (const e of [ea, eb]) {
      assert.equal(e.status, 'worker_lost');
      assert.match(e.message, new RegExp(victimId));
      assert.equal(e.run, run);
    }
    assert.equal(br.status, 503, br.text);
    assert.equal(br.json.status, 'worker_lost');
    assert.match(br.json.error, /stopped answering/);
    await waitUntil(async () => (await pendingJobs(cl.redis)) === 0, { timeout: 15000, what: 'XPENDING empty' });
    const consumers = await jobConsumers(cl.redis);
    assert.ok(!consumers.includes(victimId), `the dead consumer is gone: ${consumers}`);

    // new runs go to the other worker
    await waitWorkers([A, B], 1);
    const c = await CoderoomClient.connect(A.wsUrl);
    try {
      const st = await c.run('print("after")');
      assert.equal((await c.waitExit()).status, 'ok');
      assert.equal((await runRecord(cl.redis, st.run)).w, await nodeOf(second));
    } finally { await c.close(); }
  } finally { await a.close(); await b.close(); }
});

test('a job claimed by a worker that never ran it is handed to another worker', { skip }, async () => {
  // the live worker takes one batch job at a time: hold its batch slot
  // (the hold's length only has to outlast the ghost's claim below)
  const hold = postJSON(`${B.url}/api/runs`, { language: 'python', code: 'import time\ntime.sleep(10)\nprint("held")' },
    { timeout: 90000 });
  await waitUntil(async () => (await pendingJobs(cl.redis)) === 1, { timeout: 15000, what: 'the hold running' });
  const batch = postJSON(`${A.url}/api/runs`, { language: 'python', code: 'print("handed over")' }, { timeout: 90000 });
  await waitUntil(async () => (await jobsIn(cl.redis, JOBS_B)) === 2, { timeout: 15000, what: 'the batch job in the queue' });
  // a "worker" that claims it and dies at once: it never heartbeats
  const got = await cl.redis.cli('XREADGROUP', 'GROUP', 'workers', 'ghost', 'COUNT', '1', 'STREAMS', JOBS_B, '>');
  assert.ok(got.some((l) => l === 'j'), `the ghost claimed the job: ${got}`);
  // the reaper (any node's heartbeat) gives it back to the queue
  await waitUntil(async () => !(await jobConsumers(cl.redis)).includes('ghost'), { timeout: 15000, what: 'the ghost reaped' });
  assert.equal((await hold).json.run.stdout, 'held\n');
  const r = await batch;
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.run.stdout, 'handed over\n');
  assert.equal(await pendingJobs(cl.redis), 0);
});

test('kill -9 a gateway: its client comes back through the other one and the run went on', { skip }, async () => {
  const a = await CoderoomClient.connect(A.wsUrl);
  const { run } = await a.run('import time\nfor i in range(40):\n    print("n", i, flush=True)\n    time.sleep(0.1)\n');
  await a.waitOutput('n 2\r\n');
  process.kill(A.pid, 'SIGKILL');
  await a.waitClose({ timeout: 10000 });
  const b = await CoderoomClient.connect(B.wsUrl);
  try {
    b.attach(run);
    await b.waitType('attached', { timeout: 15000 });
    const ex = await b.waitExit({ timeout: 30000 });
    assert.equal(ex.status, 'ok');
    const lines = b.out.split('\r\n').filter(Boolean);
    assert.deepEqual(lines, Array.from({ length: 40 }, (_, i) => `n ${i}`), 'the whole output, once');
  } finally { await b.close(); }
});
