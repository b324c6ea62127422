// classes.test.mjs - the run classes of a single node's admission (run.h:
// interactive and batch) across a cluster: each class has its own job
// stream and its own slots on a worker, so batch runs do not wait behind
// people at their terminals (nor the reverse), and an interactive run that
// waits for a worker longer than --queue-wait-ms ends server_busy and
// leaves the queue, as it does on a single node.
//
// The cluster: one gateway (--queue-wait-ms 2000), one worker with one
// slot of each class (--max-runs 1 --api-concurrency 1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, redisAvailable, pendingJobs, jobsIn, JOBS_I } from '../lib/cluster.mjs';
import { CoderoomClient, getJSON, postJSON, waitUntil } from '../lib/clients.mjs';

const skip = !redisAvailable() && 'redis-server is not installed (scripts/setup.sh --test)';
let cl, G;
before(async () => {
  if (skip) return;
  cl = await startCluster({
    gateways: 1, workers: 1, gatewayArgs: ['--queue-wait-ms', '2000'],
    workerArgs: ['--max-runs', '1', '--api-concurrency', '1'],
  });
  [G] = cl.gateways;
});
after(async () => { await cl?.stop(); });

test('a batch run passes a held interactive slot; an interactive run that waits too long ends server_busy', { skip }, async () => {
  const w = (await getJSON(`${G.url}/api/health`)).json.cluster.workers[0];
  assert.equal(w.slots, 2);
  assert.equal(w.batch.slots, 1);

  const hold = await CoderoomClient.connect(G.wsUrl);
  const late = await CoderoomClient.connect(G.wsUrl);
  try {
    await hold.run('input("go? ")\nprint("released")');
    await hold.waitOutput('go? ');
    // the batch class has its own slot and stream
    const b = await postJSON(`${G.url}/api/runs`, { language: 'python', code: 'print("batch")' }, { timeout: 60000 });
    assert.equal(b.status, 200, b.text);
    assert.equal(b.json.run.stdout, 'batch\n');

    // the interactive slot is held: this one waits, then gives up
    late.send({ type: 'run', code: 'print("never")', language: 'python' });
    const ex = await late.waitExit({ timeout: 30000 });
    assert.equal(ex.status, 'server_busy');
    assert.match(ex.message, /no worker had a free slot within 2 s/);
    assert.doesNotMatch(late.out, /never/);
    assert.equal(await jobsIn(cl.redis, JOBS_I), 1, 'it left the queue: only the hold is there');

    hold.input('\r');
    assert.equal((await hold.waitExit()).status, 'ok');
    await waitUntil(async () => (await pendingJobs(cl.redis)) === 0, { timeout: 15000, what: 'nothing pending' });
  } finally { await hold.close(); await late.close(); }
});
