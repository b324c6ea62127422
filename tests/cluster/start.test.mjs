// start.test.mjs - starting in cluster mode, or not: bad --redis URLs are
// refused before anything starts; a node whose Redis is not there starts,
// says so in its health and refuses runs clearly, and joins as soon as
// Redis appears; a single node has no cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBinary, startServer } from '../lib/server.mjs';
import { redisAvailable, startRedis, startCluster } from '../lib/cluster.mjs';
import { CoderoomClient, getJSON, postJSON, waitUntil } from '../lib/clients.mjs';

const skip = !redisAvailable() && 'redis-server is not installed (scripts/setup.sh --test)';

test('bad --redis URLs and roles are refused at once, with the reason', async () => {
  for (const [args, re] of [
    [['--redis', 'rediss://h:6380'], /TLS/],
    [['--redis', 'http://h'], /starts with redis:\/\//],
    [['--redis', 'redis://h:99999'], /port/],
    [['--redis', 'redis://h', '--role', 'boss'], /--role wants gateway, worker or all/],
    [['--role', 'worker'], /need --redis/],
  ]) {
    const r = await runBinary(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
});

test('--check-config shows the cluster flags, never the password', async () => {
  const r = await runBinary(['--check-config', '--redis', 'redis://:s3cret@10.0.0.5:6379/2', '--role', 'worker', '--node-id', 'wk-a']);
  assert.match(r.stdout, /^redis = redis:\/\/:\*+@10\.0\.0\.5:6379\/2$/m);
  assert.match(r.stdout, /^role = worker$/m);
  assert.match(r.stdout, /^node-id = wk-a$/m);
  assert.doesNotMatch(r.stdout + r.stderr, /s3cret/);
});

test('a single node has no cluster', async () => {
  const srv = await startServer();
  try {
    assert.equal((await getJSON(`${srv.url}/api/health`)).json.cluster, null);
    const r = await getJSON(`${srv.url}/api/cluster`);
    assert.equal(r.status, 404);
    assert.match(r.json.error, /single node/);
  } finally { await srv.stop(); }
});

test('a gateway whose Redis is not there yet starts, refuses runs clearly, then joins', { skip }, async () => {
  const redis = await startRedis();
  const url = redis.url;
  await redis.stop();	// its port is now free and refused
  const gw = await startServer({ args: ['--redis', url, '--role', 'gateway', '--node-id', 'early-gw'] });
  let cl;
  try {
    const h = (await getJSON(`${gw.url}/api/health`)).json.cluster;
    assert.equal(h.node, 'early-gw');
    assert.notEqual(h.redis.link, 'up');
    await waitUntil(async () => /refused/i.test((await getJSON(`${gw.url}/api/health`)).json.cluster.redis.error),
      { timeout: 10000, what: 'the refused connection in health' });
    const r = await postJSON(`${gw.url}/api/runs`, { language: 'python', code: 'print(1)' });
    assert.equal(r.status, 503, r.text);
    assert.match(r.json.error, /cluster is unavailable/);

    await redis.restart();
    cl = await startCluster({ gateways: 0, workers: 1, redis });
    await waitUntil(async () => (await getJSON(`${gw.url}/api/health`)).json.cluster.workers.length === 1,
      { timeout: 30000, what: 'the gateway to join and see the worker' });
    const ok = await postJSON(`${gw.url}/api/runs`, { language: 'python', code: 'print("joined")' }, { timeout: 60000 });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.run.stdout, 'joined\n');
    const all = (await getJSON(`${gw.url}/api/cluster`)).json;
    assert.deepEqual(all.nodes.map((n) => n.role).sort(), ['gateway', 'worker']);
    const w = all.nodes.find((n) => n.role === 'worker');
    assert.ok(w.languages.includes('python'), JSON.stringify(w));
    assert.equal(w.slots > 0, true);
    // no workers known: a run says so
    const c = await CoderoomClient.connect(gw.wsUrl);
    try {
      await cl.workers[0].stop();
      await waitUntil(async () => (await getJSON(`${gw.url}/api/health`)).json.cluster.workers.length === 0,
        { timeout: 15000, what: 'the worker gone' });
      c.send({ type: 'run', code: 'print(1)', language: 'python' });
      const err = await c.waitType('error');
      assert.equal(err.code, 'unavailable');
      assert.match(err.message, /no worker/);
    } finally { await c.close(); }
  } finally {
    await gw.stop();
    await cl?.stop();
    await redis.remove();
  }
});
