// concurrency.test.mjs - many sessions at once: each sees only its own
// output, and a flooding session does not stall anyone else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import {
  CoderoomClient, health, marker, procMem, runOnce, sleep, waitNoRuns,
} from '../lib/clients.mjs';

let srv;
// The defaults hold a class (--max-runs is derived from memory and pids).
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

test('20 concurrent clients each receive only their own output', async () => {
  const N = 20, LINES = 300;
  const prefix = marker('Q').replace(/\d/g, (d) => 'abcdefghij'[d]); // letters only
  const clients = await Promise.all(Array.from({ length: N }, () => CoderoomClient.connect(srv.wsUrl)));
  try {
    const ids = await Promise.all(clients.map((c, i) =>
      c.run(`import time\nfor j in range(${LINES}):\n    print('${prefix}_${i}_', j)\n    if j % 50 == 0: time.sleep(0.05)\n`, { timeout: 30000 })));
    assert.equal(new Set(ids.map((s) => s.run)).size, N, 'every run has its own id');
    const exits = await Promise.all(clients.map((c) => c.waitExit({ timeout: 60000 })));
    const re = new RegExp(`${prefix}_(\\d+)_ (\\d+)`, 'g');
    clients.forEach((c, i) => {
      assert.equal(exits[i].status, 'ok', `client ${i}: ${JSON.stringify(exits[i])}`);
      const seen = [...c.out.matchAll(re)];
      const foreign = seen.filter((m) => Number(m[1]) !== i);
      assert.equal(foreign.length, 0, `client ${i} saw other clients' output: ${foreign.slice(0, 3).map((m) => m[0])}`);
      assert.equal(seen.length, LINES, `client ${i} got ${seen.length} of ${LINES} lines`);
      assert.deepEqual(seen.map((m) => Number(m[2])), Array.from({ length: LINES }, (_, j) => j), `client ${i}: lines in order`);
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  await waitNoRuns(srv);
});

test('a flood into a client that never reads does not stall another session', async () => {
  const flooder = await CoderoomClient.connect(srv.wsUrl);
  try {
    await flooder.run("while True:\n    print('x' * 1000)\n");
    await flooder.waitFor(() => flooder.stdout.length > 100000, { timeout: 10000, what: 'flood output' });
    flooder.ws.pause(); // stop reading the socket: TCP fills up
    await sleep(1500);
    const rssBefore = procMem(srv.pid)?.rss;

    // another session runs hello-world while the flood goes on
    const r = await runOnce(srv.wsUrl, "print('hello from the other side')\n", { timeout: 30000 });
    assert.equal(r.out, 'hello from the other side\r\n');
    assert.equal(r.exited.status, 'ok');
    const h = await health(srv.url);
    assert.equal(h.status, 'ok');

    // flow control: the server does not buffer the flood without bound
    await sleep(2000);
    const rssAfter = procMem(srv.pid)?.rss;
    assert.ok(rssAfter - rssBefore < 64 * 1024 * 1024,
      `server RSS grew by ${((rssAfter - rssBefore) / 1048576).toFixed(1)} MiB while a client did not read`);

    flooder.stop();
    flooder.ws.resume();
    const ex = await flooder.waitExit({ timeout: 20000 });
    assert.equal(ex.status, 'killed');
  } finally { await flooder.close(); }
  await waitNoRuns(srv);
});

test('a slow reader with ack flow control stays within 256 KiB unacknowledged, others unaffected', async () => {
  const slow = await CoderoomClient.connect(srv.wsUrl);
  try {
    await slow.run("while True:\n    print('z' * 1000)\n", { ack: true });
    // acknowledge nothing: the server must stop at ~256 KiB; wait until
    // most of that arrived, then watch that no more does
    await slow.waitFor(() => slow.stdout.length >= 192 * 1024, { timeout: 15000, what: 'the unacknowledged window filled' });
    await sleep(1500);
    const held = slow.stdout.length;
    assert.ok(held <= 256 * 1024 + 65536, `unacknowledged bytes sent: ${held}`);
    await sleep(700);
    assert.ok(slow.stdout.length <= 256 * 1024 + 65536, `still capped without acks: ${slow.stdout.length}`);
    // acknowledging lets more through
    slow.send({ type: 'ack', bytes: slow.stdout.length });
    await slow.waitFor(() => slow.stdout.length > held + 100000, { timeout: 5000, what: 'more output after ack' });
    const r = await runOnce(srv.wsUrl, "print('ok')\n", { timeout: 10000 });
    assert.equal(r.out, 'ok\r\n');
    slow.stop();
    const ex = await slow.waitExit({ timeout: 20000 });
    assert.equal(ex.status, 'killed');
  } finally { await slow.close(); }
  await waitNoRuns(srv);
});

test('beyond --max-runs a run waits in the queue and starts when a slot frees', async () => {
  const small = await startServer({ args: ['--max-runs', '2', '--client-runs', '2'] });
  const cs = [];
  try {
    for (let i = 0; i < 3; i++) cs.push(await CoderoomClient.connect(small.wsUrl));
    await cs[0].run("import time\nprint('a', flush=True)\ntime.sleep(30)\n");
    await cs[1].run("import time\nprint('b', flush=True)\ntime.sleep(30)\n");
    cs[2].send({ type: 'run', code: "print('c')\n" });
    const e = await cs[2].waitFor((ev) => ev.kind === 'json' && ['error', 'started', 'queued'].includes(ev.msg.type) && ev.msg, { timeout: 10000, what: 'queued' });
    assert.equal(e.type, 'queued', `third run with --max-runs 2: ${JSON.stringify(e)}`);
    assert.equal(e.ahead, 0);
    cs[0].stop();
    await cs[0].waitExit();
    await cs[2].waitType('started', { timeout: 20000 });
    assert.equal((await cs[2].waitExit()).status, 'ok');
    assert.equal(cs[2].out, 'c\r\n');
  } finally {
    await Promise.all(cs.map((c) => c.close()));
    await small.stop();
  }
});
