// batch.test.mjs - batch runs through a cluster: every API answered
// through either gateway, and a full queue refused like a full local one.
//
// The cluster: two gateways that let 2 batch jobs and 1 interactive one
// wait (--api-queue 2, --queue 1), two workers that take one job of each
// class at a time (--max-runs 1, --api-concurrency 1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { piston } from 'piston-client';
import { startCluster, redisAvailable, pendingJobs, jobsIn, JOBS_I } from '../lib/cluster.mjs';
import { CoderoomClient, getJSON, postJSON, waitUntil } from '../lib/clients.mjs';

const skip = !redisAvailable() && 'redis-server is not installed (scripts/setup.sh --test)';
let cl, A, B;
before(async () => {
  if (skip) return;
  cl = await startCluster({
    gateways: 2, workers: 2, gatewayArgs: ['--api-queue', '2', '--queue', '1'],
    workerArgs: ['--max-runs', '1', '--api-concurrency', '1'],
  });
  [A, B] = cl.gateways;
});
after(async () => { await cl?.stop(); });

test('batch runs through both gateways, all answered with their own output', { skip }, async () => {
  // The queue's bound is the cluster's (2 waiting, counted in Redis). A
  // worker asks for its next job only when Redis has answered its last
  // run's end, and the gateway may have answered the client by then: a
  // wave of 4 could find both workers not yet reading, and the 3rd or 4th
  // job refused. Waves of 2, one through each gateway, always fit in the
  // queue, whatever the workers are doing.
  const n = 8;
  const results = [];
  for (let wave = 0; wave < n; wave += 2) {
    results.push(...await Promise.all(Array.from({ length: 2 }, (_, k) => {
      const i = wave + k;
      const gw = i % 2 ? B : A;
      return postJSON(`${gw.url}/api/runs`, {
        language: 'python', code: 'import sys\nprint(sys.stdin.read().upper(), end="")', stdin: `job ${i}\n`,
      }, { timeout: 60000 });
    })));
  }
  results.forEach((r, i) => {
    assert.equal(r.status, 200, `job ${i}: ${r.text}`);
    assert.equal(r.json.status, 'ok');
    assert.equal(r.json.run.stdout, `JOB ${i}\n`);
  });
  // tests (one job a case), a compiled language
  const t = await postJSON(`${B.url}/api/runs`, {
    language: 'c', code: '#include <stdio.h>\nint main(void){int a,b; scanf("%d %d",&a,&b); printf("%d\\n",a+b);}',
    tests: [{ stdin: '1 2', expected_output: '3' }, { stdin: '20 22', expected_output: '42' }, { stdin: '1 1', expected_output: '3' }],
  }, { timeout: 90000 });
  assert.equal(t.status, 200, t.text);
  assert.equal(t.json.passed, 2);
  assert.equal(t.json.failed, 1);
  assert.equal(t.json.compile.status, 'ok');
  // Piston's own client, the seed endpoints
  const p = await piston({ server: A.url }).execute('python', 'print(input()[::-1])', { stdin: 'olleh' });
  assert.equal(p.run.stdout, 'hello\n', JSON.stringify(p));
  const s = await postJSON(`${B.url}/api/execute`, { code: 'print(40 + 2)', language: 'python' }, { timeout: 60000 });
  assert.equal(s.status, 200, s.text);
  assert.equal(s.json.output, '42\n');
  const rc = await postJSON(`${A.url}/run_code`, { code: 'print("seed")' }, { timeout: 60000 });
  assert.equal(rc.json.output, 'seed\n', rc.text);
  assert.equal(await pendingJobs(cl.redis), 0, 'no job left pending');
});

test('a full queue answers 503 (batch) and server_busy (interactive), then serves again', { skip }, async () => {
  // two running (one per worker), two waiting: the queue is full
  const slow = (gw) => postJSON(`${gw.url}/api/runs`, { language: 'python', code: 'import time\ntime.sleep(4)\nprint("slept")' },
    { timeout: 90000 });
  const inFlight = [slow(A), slow(B), slow(A), slow(B)];
  await waitUntil(async () => (await pendingJobs(cl.redis)) === 2, { timeout: 30000, what: 'two jobs running' });
  await waitUntil(async () => {
    const w = await Promise.all([A, B].map(async (g) => (await getJSON(`${g.url}/api/health`)).json.cluster));
    return w.every((c) => c.queue_waiting === 2 && c.workers.every((x) => x.used === 1));
  }, { timeout: 30000, what: 'both gateways to see the queue full' });

  for (const gw of [A, B]) {
    const r = await postJSON(`${gw.url}/api/runs`, { language: 'python', code: 'print(1)' });
    assert.equal(r.status, 503, r.text);
    assert.match(r.json.error || r.json.message || r.text, /queue is full|busy/);
    const pr = await postJSON(`${gw.url}/api/v2/execute`, { language: 'python', version: '*', files: [{ content: 'print(1)' }] });
    assert.equal(pr.status, 503, pr.text);
  }
  // interactive runs have their own slots and queue: one running on each
  // worker, one waiting, then the next is refused
  const holds = [];
  try {
    for (const gw of [A, B]) {
      const h = await CoderoomClient.connect(gw.wsUrl);
      holds.push(h);
      await h.run('input("go? ")\nprint("held")');
    }
    await Promise.all(holds.map((h) => h.waitOutput('go? ')));
    const q = await CoderoomClient.connect(B.wsUrl);
    holds.push(q);
    q.send({ type: 'run', code: 'print("waited")', language: 'python' });
    await waitUntil(async () => (await jobsIn(cl.redis, JOBS_I)) === 3, { timeout: 15000, what: 'an interactive job waiting' });
    const c = await CoderoomClient.connect(A.wsUrl);
    try {
      c.send({ type: 'run', code: 'print(1)', language: 'python' });
      const err = await c.waitType('error');
      assert.equal(err.code, 'server_busy');
      assert.match(err.message, /queue is full/);
    } finally { await c.close(); }
    for (const h of holds.slice(0, 2)) h.input('\r');
    for (const h of holds) assert.equal((await h.waitExit({ timeout: 60000 })).status, 'ok');
    assert.match(q.out, /waited/);
  } finally { for (const h of holds) await h.close(); }

  const done = await Promise.all(inFlight);
  for (const r of done) {
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.run.stdout, 'slept\n');
  }
  // and it serves again
  await waitUntil(async () => (await getJSON(`${A.url}/api/health`)).json.cluster.queue_waiting === 0,
    { timeout: 10000, what: 'the queue seen empty' });
  const ok = await postJSON(`${A.url}/api/runs`, { language: 'python', code: 'print("again")' }, { timeout: 60000 });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.run.stdout, 'again\n');
  assert.equal(await pendingJobs(cl.redis), 0);
});
