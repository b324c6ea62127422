// redis.test.mjs - Redis going away and coming back under a live cluster.
//
// With the persistence docs/operations.md requires (AOF, fsync always): a
// client following a run is told "reconnecting" and then "reconnected";
// while Redis is down new work is refused with a clear error (the /ws
// error "unavailable", HTTP 503); the run goes on, its output arrives
// whole and once, and input typed meanwhile reaches it.
// Without persistence (Redis restarts empty): a job waiting in the lost
// queue is queued again by its gateway, a running run is claimed again by
// its worker, and both end normally.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, redisAvailable, pendingJobs, jobsIn, JOBS_I } from '../lib/cluster.mjs';
import { CoderoomClient, getJSON, postJSON, waitUntil } from '../lib/clients.mjs';

const skip = !redisAvailable() && 'redis-server is not installed (scripts/setup.sh --test)';
const clusters = [];
after(async () => { for (const c of clusters) await c.stop(); });

test('Redis restarts mid-run: clients are told, new work is refused, then everything resumes', { skip }, async () => {
  const cl = await startCluster({ gateways: 1, workers: 1, persist: true });
  clusters.push(cl);
  const [G] = cl.gateways;
  // the persistence docs/operations.md requires is checked and shown
  await waitUntil(async () => (await getJSON(`${G.url}/api/health`)).json.cluster.redis.durable === true,
    { timeout: 10000, what: 'health: Redis durable' });
  const a = await CoderoomClient.connect(G.wsUrl);
  try {
    await a.run([
      'import time',
      'for i in range(30):',
      '    print("t", i, flush=True)',
      '    time.sleep(0.1)',
      's = input("say? ")',
      'print("said", s)',
    ].join('\n'));
    await a.waitOutput('t 3\r\n');
    await cl.redis.stop();
    const rec = await a.waitType('reconnecting', { timeout: 20000 });
    assert.match(rec.message, /link to the cluster/);

    // new work is refused, clearly
    const h = (await getJSON(`${G.url}/api/health`)).json.cluster;
    assert.notEqual(h.redis.link, 'up');
    assert.ok(h.redis.error.length > 0, JSON.stringify(h));
    const b = await CoderoomClient.connect(G.wsUrl);
    try {
      b.send({ type: 'run', code: 'print(1)', language: 'python' });
      const err = await b.waitType('error');
      assert.equal(err.code, 'unavailable');
      assert.match(err.message, /cluster is unavailable/);
    } finally { await b.close(); }
    const r = await postJSON(`${G.url}/api/runs`, { language: 'python', code: 'print(1)' });
    assert.equal(r.status, 503, r.text);
    assert.match(r.json.error, /cluster is unavailable/);

    a.input('typed while it was down\r');	// waits at the gateway
    await cl.redis.restart();
    await a.waitType('reconnected', { timeout: 30000 });
    const ex = await a.waitExit({ timeout: 60000 });
    assert.equal(ex.status, 'ok');
    // the terminal echoes the typed line when it arrives, among the ticks
    const lines = a.out.split('\r\n').filter((l) => l !== 'typed while it was down');
    assert.deepEqual(lines.slice(0, 30), Array.from({ length: 30 }, (_, i) => `t ${i}`), 'every line once, in order');
    assert.match(a.out, /say\? said typed while it was down\r\n$/);

    // and it serves again
    const again = await postJSON(`${G.url}/api/runs`, { language: 'python', code: 'print("back")' }, { timeout: 60000 });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.run.stdout, 'back\n');
    assert.equal(await pendingJobs(cl.redis), 0);
  } finally { await a.close(); }
});

test('Redis restarts empty: a queued job is queued again, a running run goes on', { skip }, async () => {
  const cl = await startCluster({ gateways: 1, workers: 1, persist: false, workerArgs: ['--max-runs', '1'] });
  clusters.push(cl);
  const [G] = cl.gateways;
  await waitUntil(async () => (await getJSON(`${G.url}/api/health`)).json.cluster.redis.durable === false,
    { timeout: 10000, what: 'health: Redis not durable' });
  assert.match((await getJSON(`${G.url}/api/health`)).json.cluster.redis.not_durable_because, /appendonly is no/);
  assert.match(G.logs(), /a Redis restart may lose confirmed room edits/);
  const hold = await CoderoomClient.connect(G.wsUrl);
  const queued = await CoderoomClient.connect(G.wsUrl);
  try {
    await hold.run('s = input("go? ")\nprint("got", s)');
    await hold.waitOutput('go? ');
    // the worker's one interactive slot is held: this one waits
    queued.send({ type: 'run', code: 'print("queued, lost, queued again")', language: 'python' });
    await waitUntil(async () => (await jobsIn(cl.redis, JOBS_I)) === 2, { timeout: 15000, what: 'the job waiting' });
    await cl.redis.restart();	// no AOF: it comes back empty
    assert.equal(Number((await cl.redis.cli('DBSIZE'))[0]) <= 1, true, 'Redis lost its data');
    await hold.waitType('reconnected', { timeout: 30000 });
    hold.input('yes\r');
    const ex = await hold.waitExit({ timeout: 60000 });
    assert.equal(ex.status, 'ok');
    assert.match(hold.out, /got yes\r\n$/);
    assert.equal((await queued.waitExit({ timeout: 60000 })).status, 'ok');
    assert.match(queued.out, /queued, lost, queued again\r\n/);
    await waitUntil(async () => (await pendingJobs(cl.redis)) === 0, { timeout: 15000, what: 'nothing pending' });
  } finally { await hold.close(); await queued.close(); }
});
