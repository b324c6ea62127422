// interactive.test.mjs - what an interactive run keeps when it runs on a
// worker: a real redis-server, two gateways and one worker, each its own
// process.
//
// A pipe run with a person at the other end (/ws/execute, /ws with
// prepared stdin) gets the interactive limits, not the batch ones, on the
// worker as on a single node: the gateway runs with --batch-wall-ms far
// below --wall-ms and the program outlives the batch bound. Live usage
// samples ("usage": true on /ws) come from the worker through the run's
// stream to the gateway of the client, and to a client attached through
// the other gateway (also when the run was started without them); none to
// a client that did not ask, none after "exited"; the run's stream holds
// the newest sample only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, redisAvailable, runRecord } from '../lib/cluster.mjs';
import { CoderoomClient, ExecuteClient, getJSON, waitUntil } from '../lib/clients.mjs';

const skip = !redisAvailable() && 'redis-server is not installed (scripts/setup.sh --test)';
const BATCH_WALL = 1500;
const WALL = 120000;
let cl, A, B;
before(async () => {
  if (skip) return;
  cl = await startCluster({
    gateways: 2, workers: 1,
    args: ['--batch-wall-ms', String(BATCH_WALL), '--wall-ms', String(WALL)],
  });
  [A, B] = cl.gateways;
});
after(async () => { await cl?.stop(); });

// Sleeps well past the batch wall bound (but far within the interactive
// one), then prints.
const OUTLIVES_BATCH = `import time\ntime.sleep(${(3 * BATCH_WALL) / 1000})\nprint("still here", flush=True)\n`;

const workerIds = async () => Promise.all(cl.workers.map(async (s) =>
  (await getJSON(`${s.url}/api/health`)).json.cluster.node));

test('/ws/execute through a gateway: the worker applies the interactive limits', { skip }, async () => {
  const x = await ExecuteClient.connect(A.wsUrl);
  try {
    x.execute(OUTLIVES_BATCH);
    const done = await x.waitType('complete', { timeout: 60000 });
    assert.equal(done.status, 'ok', `not cut at --batch-wall-ms: ${JSON.stringify(done)}`);
    assert.equal(x.stdout, 'still here\n');
  } finally { x.ws.terminate(); }
});

test('/ws run with prepared stdin through a gateway: interactive limits, on the worker and in "started"', { skip }, async () => {
  const c = await CoderoomClient.connect(A.wsUrl);
  try {
    const st = await c.run(`import sys\nline = sys.stdin.readline()\n${OUTLIVES_BATCH}print("got", line.strip())\n`,
      { stdin: 'prepared\n' });
    assert.equal(st.limits.wall_ms, WALL, `"started" tells the interactive wall bound: ${JSON.stringify(st.limits)}`);
    // "started" on a gateway says the run is the cluster's; a worker
    // claims its job a moment later
    let rec;
    await waitUntil(async () => (rec = await runRecord(cl.redis, st.run)).w,
      { timeout: 20000, what: 'a worker to claim the run' });
    assert.ok((await workerIds()).includes(rec.w), `runs on the worker: ${JSON.stringify(rec)}`);
    const ex = await c.waitExit({ timeout: 60000 });
    assert.equal(ex.status, 'ok', `not cut at --batch-wall-ms: ${JSON.stringify(ex)}`);
    assert.equal(c.out, 'still here\ngot prepared\n');
  } finally { await c.close(); }
});

const usages = (c, run) => c.messages.filter((m) => m.type === 'usage' && m.run === run);

test('usage: true on a gateway: samples come from the worker, to an attached client on the other gateway too', { skip }, async () => {
  const a = await CoderoomClient.connect(A.wsUrl);
  const b = await CoderoomClient.connect(B.wsUrl);
  const quiet = await CoderoomClient.connect(B.wsUrl);
  try {
    const program = [
      'import sys',
      'block = bytearray(48 << 20)',
      'for j in range(0, len(block), 4096): block[j] = 1',
      "print('grown', flush=True)",
      'sys.stdin.readline()',
      '',
    ].join('\n');
    const st = await a.run(program, { usage: true });
    await a.waitOutput('grown', { timeout: 60000 });
    const late = await a.waitFor((e) => e.kind === 'json' && e.msg.type === 'usage' && e.msg.memory_bytes >= 48 << 20 && e.msg,
      { what: 'a usage sample with the 48 MiB in use', timeout: 30000 });
    assert.equal(late.run, st.run);
    assert.equal(late.step, 'run');
    for (const k of ['cpu_ms', 'wall_ms', 'memory_bytes', 'memory_peak', 'pids']) {
      assert.ok(Number.isInteger(late[k]) && late[k] >= 0, `${k} is a count: ${JSON.stringify(late)}`);
    }
    assert.ok(late.memory_peak >= late.memory_bytes && late.pids >= 1, JSON.stringify(late));

    b.attach(st.run, { usage: true });
    quiet.attach(st.run);
    await b.waitType('attached', { timeout: 15000 });
    await quiet.waitType('attached', { timeout: 15000 });
    const bs = await b.waitType('usage', { timeout: 15000 });
    assert.equal(bs.run, st.run);
    assert.ok(bs.memory_bytes >= 48 << 20, `B sees the live figure: ${JSON.stringify(bs)}`);

    // the run's stream keeps at most the newest sample (and the one Redis
    // took just before it, until its XDEL lands): never one per sample
    await a.waitFor(() => usages(a, st.run).length >= 6 && true, { what: 'six samples', timeout: 30000 });
    const entries = await cl.redis.cli('XRANGE', `coderoom:ev:${st.run}`, '-', '+');
    const inStream = entries.filter((l) => l.startsWith('E\u0006')).length;
    assert.ok(inStream >= 1 && inStream <= 2, `usage entries in the run's stream: ${inStream} after ${usages(a, st.run).length} samples`);

    a.input('\r');
    const ex = await a.waitExit({ timeout: 30000 });
    assert.equal(ex.status, 'ok');
    await b.waitExit({ timeout: 30000 });
    await quiet.waitExit({ timeout: 30000 });
    for (const c of [a, b]) {
      const exitIdx = c.messages.findIndex((m) => m.type === 'exited');
      assert.ok(c.messages.findIndex((m, i) => m.type === 'usage' && i > exitIdx) < 0, 'no usage after exited');
      const u = usages(c, st.run);
      for (let i = 1; i < u.length; i++) assert.ok(u[i].wall_ms > u[i - 1].wall_ms, 'samples in order, none twice');
    }
    assert.equal(usages(quiet, st.run).length, 0, 'none to a client that did not ask');
  } finally { await a.close(); await b.close(); await quiet.close(); }
});

test('usage: a run started without it sends samples once a client attaches asking for them', { skip }, async () => {
  const a = await CoderoomClient.connect(A.wsUrl);
  const b = await CoderoomClient.connect(B.wsUrl);
  try {
    const st = await a.run("import sys\nprint('up', flush=True)\nsys.stdin.readline()\n");
    await a.waitOutput('up');
    b.attach(st.run, { usage: true });
    await b.waitType('attached', { timeout: 15000 });
    const s = await b.waitType('usage', { timeout: 15000 });
    assert.equal(s.run, st.run);
    assert.equal(s.step, 'run');
    assert.ok(s.pids >= 1, JSON.stringify(s));
    a.input('\r');
    await a.waitExit({ timeout: 30000 });
    await b.waitExit({ timeout: 30000 });
    assert.equal(usages(a, st.run).length, 0, 'none to the client that did not ask');
  } finally { await a.close(); await b.close(); }
});
