// fairness.test.mjs - one client must not hold the service (issue 9, item 3).
//
// Clients are told apart by API token or, anonymous, by address: the tests
// connect from 127.0.0.1 (the attacker) and 127.0.0.2 / 127.0.0.3 (other
// users) to a server listening on 127.0.0.1 (Linux routes all of 127/8 to
// lo). Each test drives the real server with real clients and checks what
// the other users get.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from '../lib/server.mjs';
import {
  CoderoomClient, ExecuteClient, health, postJSON, waitUntil,
} from '../lib/clients.mjs';
import { startHostile } from './lib.mjs';

const ATTACKER = '127.0.0.1';
const VICTIM = '127.0.0.2';
const OTHER = '127.0.0.3';
const IDLE = "print('idle', flush=True)\ninput()\n";

/* The first answer to a `run`: started, queued or error. */
function firstAnswer(c) {
  return c.waitFor((e) => e.kind === 'json' && ['started', 'queued', 'error'].includes(e.msg.type) && e.msg,
    { timeout: 30000, what: 'started, queued or error' });
}

/* n clients from 'from', each starting IDLE; resolves once each is
 * started (and printed 'idle'), waiting in the queue, or refused. */
async function idleRuns(srv, n, from) {
  const out = { clients: [], started: 0, waiting: 0, refused: 0 };
  for (let i = 0; i < n; i++) {
    const c = await CoderoomClient.connect(srv.wsUrl, { localAddress: from });
    out.clients.push(c);
    c.send({ type: 'run', code: IDLE, language: 'python' });
    const a = await firstAnswer(c);
    if (a.type === 'started') {
      await c.waitOutput('idle', { timeout: 30000 });
      out.started++;
    } else if (a.type === 'queued') {
      out.waiting++;
    } else {
      out.refused++;
    }
  }
  return out;
}

/* Another user, from 'from': a /ws run starts and answers, and a batch
 * run (POST /api/execute) gets 200 with its output. */
async function otherUserWorks(srv, from) {
  const tok = 'v' + crypto.randomBytes(4).toString('hex');
  const c = await CoderoomClient.connect(srv.wsUrl, { localAddress: from });
  try {
    c.send({ type: 'run', code: `print(input('? ') + '${tok}')\n`, language: 'python' });
    const a = await c.waitFor((e) => e.kind === 'json' && ['started', 'error'].includes(e.msg.type) && e.msg,
      { timeout: 30000, what: 'started' });
    assert.equal(a.type, 'started', `another user's /ws run: ${JSON.stringify(a)}`);
    await c.waitOutput('? ', { timeout: 30000 });
    c.input('x\r');
    await c.waitOutput(`x${tok}`, { timeout: 30000 });
    assert.equal((await c.waitExit({ timeout: 30000 })).status, 'ok');
  } finally { await c.close(); }
  const r = await postJSON(srv.url + '/api/execute', { code: `print('${tok}')`, language: 'python' },
    { localAddress: from, timeout: 60000 });
  assert.equal(r.status, 200, `another user's batch run: ${r.status} ${r.text.slice(0, 300)}`);
  assert.equal(r.json.verdict, 'ok', r.text.slice(0, 300));
  assert.match(r.json.stdout, new RegExp(tok));
}

async function closeAll(clients) {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
}

test('one anonymous client with 8 idle /ws runs does not make other users\' runs fail (default flags)', async () => {
  const srv = await startServer({});
  let att;
  try {
    att = await idleRuns(srv, 8, ATTACKER);
    assert.equal(att.started, 8, `a class-sized box starts 8 runs of one address: ${JSON.stringify({ ...att, clients: undefined })}`);
    await otherUserWorks(srv, VICTIM);
    await otherUserWorks(srv, OTHER);
  } finally {
    if (att) await closeAll(att.clients);
    await srv.stop();
  }
});

test('on a box sized for 8 runs, one client gets its share and other users still run', async () => {
  const srv = await startServer({ args: ['--max-runs', '8'] });
  let att;
  try {
    att = await idleRuns(srv, 8, ATTACKER);
    assert.ok(att.started >= 1 && att.started < 8,
      `one address holds some but not all of 8 runs: ${JSON.stringify({ ...att, clients: undefined })}`);
    assert.equal(att.started + att.waiting + att.refused, 8);
    await otherUserWorks(srv, VICTIM);
    await otherUserWorks(srv, OTHER);
    const h = await health(srv.url);
    assert.ok(h.admission, `health reports admission: ${JSON.stringify(h)}`);
    assert.equal(h.admission.interactive.running, att.started);
  } finally {
    if (att) await closeAll(att.clients);
    await srv.stop();
  }
});

test('four CPU-bound batch runs of one client do not keep another client\'s trivial run behind them', async () => {
  const srv = await startHostile({ args: ['--api-concurrency', '2'] });
  try {
    const order = [];
    const spin = (i) => postJSON(srv.url + '/api/runs', { language: 'python', code: 'while True:\n    pass\n' },
      { localAddress: ATTACKER, timeout: 120000 }).then((r) => { order.push(`A${i}`); return r; });
    const as = [0, 1, 2, 3].map(spin);
    // the four are in: two run, two wait
    await waitUntil(async () => {
      const h = await health(srv.url);
      return h.queue.running === 2 && h.queue.waiting === 2;
    }, { timeout: 30000, what: 'two batch runs running and two waiting' });
    const b = postJSON(srv.url + '/api/runs', { language: 'python', code: "print('B')\n" },
      { localAddress: VICTIM, timeout: 120000 }).then((r) => { order.push('B'); return r; });
    const [rb, ...ra] = await Promise.all([b, ...as]);
    assert.equal(rb.status, 200, rb.text.slice(0, 300));
    assert.equal(rb.json.run.status, 'ok');
    assert.equal(rb.json.run.stdout, 'B\n');
    for (const r of ra) {
      assert.equal(r.status, 200, r.text.slice(0, 300));
      // on a loaded machine the 5 s wall limit may come before 1 s of CPU
      assert.ok(['cpu_limit', 'wall_limit'].includes(r.json.run.status), r.text.slice(0, 300));
    }
    const before = order.slice(0, order.indexOf('B')).length;
    assert.ok(before <= 2, `B waited for ${before} of the other client's runs to finish (order ${order.join(' ')}): ` +
      'the next free slot must go to the client with fewer runs');
  } finally { await srv.stop(); }
});

test('an interactive run waiting for input with nobody typing ends at the idle timeout; a typing or busy one does not', async () => {
  const srv = await startServer({ args: ['--idle-timeout-ms', '3000'] });
  const cs = [];
  try {
    for (let i = 0; i < 3; i++) cs.push(await CoderoomClient.connect(srv.wsUrl));
    const [idle, typing, busy] = cs;
    await idle.run(IDLE);
    await typing.run("print('idle', flush=True)\nprint('got', input())\n");
    await busy.run("import time\nprint('busy', flush=True)\ntime.sleep(6)\nprint('done')\n");
    await typing.waitOutput('idle');
    // someone types into 'typing' (one key every 300 ms) until 'idle' is over
    let stop = false;
    const typist = (async () => {
      while (!stop) {
        typing.sendBinary(Buffer.from([0, 0x61]));
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const ex = await idle.waitExit({ timeout: 30000 });
    assert.equal(ex.status, 'killed', JSON.stringify(ex));
    assert.match(ex.message, /idle|no input/i, JSON.stringify(ex));
    assert.ok(!typing.messages.some((m) => m.type === 'exited'), 'the run someone types into is alive');
    stop = true;
    await typist;
    typing.input('\r');
    await typing.waitOutput(/got a+/);
    assert.equal((await typing.waitExit()).status, 'ok');
    const bex = await busy.waitExit({ timeout: 30000 });
    assert.equal(bex.status, 'ok', `a sleeping program is not idle at input: ${JSON.stringify(bex)}`);
  } finally {
    await closeAll(cs);
    await srv.stop();
  }
});

test('with API tokens configured, /ws and /ws/execute need one (header, query parameter or subprotocol)', async () => {
  const token = 't' + crypto.randomBytes(12).toString('hex');
  const srv = await startServer({ args: ['--api-token', token] });
  try {
    // no token: refused with a clear error and close code 4001, nothing runs
    for (const path of ['/ws', '/ws/execute']) {
      const c = path === '/ws'
        ? await CoderoomClient.connect(srv.wsUrl, { hello: false })
        : await ExecuteClient.connect(srv.wsUrl);
      c.send(path === '/ws' ? { type: 'run', code: "print('x')\n" } : { type: 'execute', code: "print('x')\n" });
      const cl = await c.waitClose({ timeout: 10000 });
      assert.equal(cl.code, 4001, `${path} without a token: ${JSON.stringify(cl)}`);
      assert.ok(c.messages.some((m) => m.type === 'error' && /token/i.test(m.message)), `${path}: ${c.describe()}`);
      assert.ok(!c.messages.some((m) => ['started', 'output', 'hello'].includes(m.type)), `${path}: ${c.describe()}`);
    }
    // a wrong one is refused the same way
    const bad = await CoderoomClient.connect(srv.wsUrl, { hello: false, path: '/ws?token=nope' });
    assert.equal((await bad.waitClose({ timeout: 10000 })).code, 4001);
    // each way of presenting the right one works
    const ways = [
      { path: `/ws?token=${token}` },
      { protocol: ['coderoom.v1', `coderoom.token.${token}`] },
      { headers: { Authorization: `Bearer ${token}` } },
    ];
    for (const w of ways) {
      const c = await CoderoomClient.connect(srv.wsUrl, w);
      try {
        await c.run("print('with token')\n");
        assert.equal((await c.waitExit()).status, 'ok', JSON.stringify(w));
        assert.equal(c.out, 'with token\r\n');
      } finally { await c.close(); }
    }
    const x = await ExecuteClient.connect(srv.wsUrl, { headers: { 'X-Api-Token': token } });
    x.execute("print('exec ok')\n");
    await x.waitType('complete', { timeout: 20000 });
    assert.equal(x.stdout, 'exec ok\n');
  } finally { await srv.stop(); }
});
