// sessions.test.mjs - a class on one box: many interactive sessions with
// the default flags, the visible queue when the box is full (its bounds in
// size and time, per client), and the server's own open-file limit.
// (The 500-session version with figures is bench/sessions.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { CoderoomClient, ExecuteClient, health } from '../lib/clients.mjs';
import { allAnswer, closeAll, openSessions } from '../lib/sessions.mjs';

const IDLE = "print('idle', flush=True)\ninput()\n";

/* The first answer to a `run`: started, queued or error. */
function answer(c, since = 0) {
  return c.waitFor((e) => e.kind === 'json' && ['started', 'queued', 'error'].includes(e.msg.type) && e.msg,
    { timeout: 30000, what: 'started, queued or error', since });
}

test('50 interactive sessions at input(), all from one address, with the default flags: all start and all answer, also while 5 spin', async () => {
  const srv = await startServer({});
  let s;
  try {
    s = await openSessions(srv.wsUrl, 50);
    assert.equal(s.refused.length, 0, JSON.stringify(s.refused[0]));
    assert.equal(s.clients.length, 50);
    assert.equal(s.queued, 0, 'a class of 50 does not wait on this box');
    assert.equal(await allAnswer(s.clients, 'a'), 50);
    const h = await health(srv.url);
    assert.equal(h.admission.interactive.running, 50);
    assert.ok(h.admission.interactive.slots >= 50, JSON.stringify(h.admission));
    // five spin in a CPU-bound loop; the other 45 still answer
    for (const c of s.clients.slice(0, 5)) c.input('\x15spin\r');
    assert.equal(await allAnswer(s.clients.slice(5), 'b'), 45);
  } finally {
    if (s) await closeAll(s.all);
    await srv.stop();
  }
});

test('a full server queues a run visibly ("queued", N ahead), then starts it when a slot frees', async () => {
  const srv = await startServer({ args: ['--max-runs', '2', '--client-runs', '2'] });
  const cs = [];
  try {
    for (let i = 0; i < 5; i++) cs.push(await CoderoomClient.connect(srv.wsUrl));
    const [a, b, c, d, w] = cs;
    await a.run(IDLE);
    await b.run(IDLE);
    c.send({ type: 'run', code: "print('c ran')\n" });
    const qc = await answer(c);
    assert.equal(qc.type, 'queued', JSON.stringify(qc));
    assert.equal(qc.ahead, 0);
    assert.match(qc.run, /^[0-9a-f]{32}$/);
    assert.equal(qc.message, 'waiting for a free slot: 0 ahead');
    d.send({ type: 'run', code: "print('d ran')\n" });
    const qd = await answer(d);
    assert.equal(qd.type, 'queued');
    assert.equal(qd.ahead, 1);
    // another connection attaches to the waiting run and sees it waiting
    w.attach(qd.run);
    const at = await w.waitType('attached');
    assert.equal(at.state, 'queued');
    let h = await health(srv.url);
    assert.equal(h.admission.interactive.running, 2);
    assert.equal(h.admission.interactive.waiting, 2);
    // a slot frees: c starts and runs; d moves up
    const since = d.events.length;
    a.stop();
    await a.waitExit();
    const st = await c.waitType('started', { timeout: 30000 });
    assert.equal(st.run, qc.run);
    assert.equal((await c.waitExit()).status, 'ok');
    assert.equal(c.out, 'c ran\r\n');
    // d: one ahead, then none, then started (c's end freed the next slot)
    const moved = await d.waitFor((e) => e.kind === 'json' && ['queued', 'started'].includes(e.msg.type) && e.msg,
      { since, timeout: 30000, what: 'd moves up' });
    assert.ok(moved.type === 'started' || moved.ahead === 0, JSON.stringify(moved));
    await d.waitType('started', { timeout: 30000 });
    assert.equal((await d.waitExit()).status, 'ok');
    assert.equal(d.out, 'd ran\r\n');
    assert.equal(w.out, 'd ran\r\n', 'the attached watcher saw the run once it ran');
    h = await health(srv.url);
    assert.equal(h.admission.interactive.waiting, 0);
  } finally {
    await closeAll(cs);
    await srv.stop();
  }
});

test('the queue is bounded: past --queue a run is refused (server_busy); past --queue-wait-ms it ends (server_busy)', async () => {
  const srv = await startServer({ args: ['--max-runs', '1', '--queue', '1', '--queue-wait-ms', '1500'] });
  const cs = [];
  try {
    for (let i = 0; i < 3; i++) cs.push(await CoderoomClient.connect(srv.wsUrl));
    const [a, b, c] = cs;
    await a.run(IDLE);
    b.send({ type: 'run', code: "print('b')\n" });
    assert.equal((await answer(b)).type, 'queued');
    c.send({ type: 'run', code: "print('c')\n" });
    const e = await answer(c);
    assert.equal(e.type, 'error', JSON.stringify(e));
    assert.equal(e.code, 'server_busy');
    assert.match(e.message, /full/);
    // b waits past the bound: it ends without running
    const ex = await b.waitExit({ timeout: 30000 });
    assert.equal(ex.status, 'server_busy', JSON.stringify(ex));
    assert.match(ex.message, /no free slot within 1\.5 s/);
    assert.equal(b.out, '', 'it never ran');
    const h = await health(srv.url);
    assert.equal(h.admission.interactive.timed_out, 1);
    assert.equal(h.admission.interactive.refused, 1);
    // the one running is untouched
    assert.ok(!a.messages.some((m) => m.type === 'exited'));
  } finally {
    await closeAll(cs);
    await srv.stop();
  }
});

test('one client\'s share of the queue is bounded (too_many_runs); another client still queues', async () => {
  const srv = await startServer({ args: ['--max-runs', '1', '--client-queue', '1'] });
  const cs = [];
  try {
    for (let i = 0; i < 3; i++) cs.push(await CoderoomClient.connect(srv.wsUrl));
    cs.push(await CoderoomClient.connect(srv.wsUrl, { localAddress: '127.0.0.2' }));
    const [a, b, c, other] = cs;
    await a.run(IDLE);
    b.send({ type: 'run', code: "print('b')\n" });
    assert.equal((await answer(b)).type, 'queued');
    c.send({ type: 'run', code: "print('c')\n" });
    const e = await answer(c);
    assert.equal(e.type, 'error', JSON.stringify(e));
    assert.equal(e.code, 'too_many_runs');
    other.send({ type: 'run', code: "print('other')\n" });
    const q = await answer(other);
    assert.equal(q.type, 'queued', JSON.stringify(q));
    // the client that holds the slot has a run queued too; the other
    // client (holding none) goes first when the slot frees, and b is told
    assert.equal(q.ahead, 0);
    await b.waitFor((ev) => ev.kind === 'json' && ev.msg.type === 'queued' && ev.msg.ahead === 1,
      { timeout: 10000, what: 'b told it is now 1 ahead' });
    a.stop();
    await other.waitType('started', { timeout: 30000 });
    assert.equal((await other.waitExit()).status, 'ok');
    await b.waitType('started', { timeout: 30000 });
  } finally {
    await closeAll(cs);
    await srv.stop();
  }
});

test('/ws/execute waits in the same queue: a "queued" message, then output and complete', async () => {
  const srv = await startServer({ args: ['--max-runs', '1'] });
  const a = await CoderoomClient.connect(srv.wsUrl);
  const x = await ExecuteClient.connect(srv.wsUrl, { localAddress: '127.0.0.2' });
  try {
    await a.run(IDLE);
    x.execute("print('from the queue')\n");
    const q = await x.waitType('queued', { timeout: 30000 });
    assert.equal(q.ahead, 0);
    assert.match(q.message, /waiting for a free slot/);
    a.stop();
    const done = await x.waitType('complete', { timeout: 30000 });
    assert.equal(done.exit_code, 0);
    assert.equal(x.stdout, 'from the queue\n');
  } finally {
    x.close();
    await a.close();
    await srv.stop();
  }
});

test('the server raises its own open-file limit: 400 WebSockets to a server started with a soft limit of 256', async () => {
  // all 400 come from 127.0.0.1: past --ws-per-client's default (256)
  const srv = await startServer({ wrapper: ['sh', '-c', 'ulimit -S -n 256 && exec "$0" "$@"'],
    args: ['--ws-per-client', '1000000'] });
  const socks = [];
  try {
    for (let i = 0; i < 400; i += 50) {
      socks.push(...await Promise.all(Array.from({ length: 50 }, () => CoderoomClient.connect(srv.wsUrl))));
    }
    assert.equal(socks.length, 400);
    assert.ok(socks.every((c) => c.hello && c.hello.type === 'hello'));
    const h = await health(srv.url);
    assert.ok(h.connections >= 400, JSON.stringify(h.connections));
    assert.ok(h.admission.host.open_files > 400, JSON.stringify(h.admission.host));
  } finally {
    for (const c of socks) c.terminate();
    await srv.stop();
  }
});
