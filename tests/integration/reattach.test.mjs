// reattach.test.mjs - a run outlives its socket for the reattach grace
// period: reconnect, attach with the run id, get the scrollback, then live
// output. Without an attach in time, the run is killed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import {
  CoderoomClient, health, marker, procsMatching, sleep, waitNoRuns, waitUntil,
} from '../lib/clients.mjs';

let srv;
before(async () => { srv = await startServer({ args: ['--reattach-grace-ms', '3000'] }); });
after(async () => { await srv?.stop(); });

const PROGRAM = `import time
for i in range(3):
    print(f'before {i}', flush=True)
for i in range(12):
    time.sleep(0.25)
    print(f'live {i}', flush=True)
`;

async function reattachAfter(disconnect) {
  const a = await CoderoomClient.connect(srv.wsUrl);
  const { run } = await a.run(PROGRAM);
  await a.waitOutput('before 2\r\n');
  await disconnect(a);
  await sleep(300);

  const b = await CoderoomClient.connect(srv.wsUrl);
  try {
    b.attach(run);
    const att = await b.waitType('attached', { timeout: 5000 });
    assert.equal(att.run, run);
    assert.ok(['running', 'waiting_for_input'].includes(att.state), `state ${att.state}`);
    const attIdx = b.events.findIndex((e) => e.kind === 'json' && e.msg.type === 'attached');
    const replay = Buffer.concat(b.events.slice(0, attIdx).filter((e) => e.kind === 'binary' && e.type === 1).map((e) => e.data)).toString();
    assert.ok(replay.startsWith('before 0\r\nbefore 1\r\nbefore 2\r\n'), `scrollback replayed before "attached": ${JSON.stringify(replay)}`);
    const ex = await b.waitExit({ timeout: 15000 });
    assert.equal(ex.status, 'ok');
    assert.equal(ex.run, run);
    const liveAfter = b.events.slice(attIdx).some((e) => e.kind === 'binary' && e.data.toString().includes('live'));
    assert.ok(liveAfter, 'live output follows the replay');
    // the whole output exactly once, in order: replay + live, no gap, no duplicate
    const expected = ['before 0', 'before 1', 'before 2', ...Array.from({ length: 12 }, (_, i) => `live ${i}`)]
      .map((l) => l + '\r\n').join('');
    assert.equal(b.out, expected);
  } finally { await b.close(); }
}

test('disconnect (clean close) mid-run, reconnect, attach: scrollback then live output', async () => {
  await reattachAfter((a) => a.close({ stopRun: false }));
});

test('abrupt disconnect (TCP reset) mid-run, reconnect, attach', async () => {
  await reattachAfter((a) => { a.terminate(); });
});

test('attach to an exited run within the grace period replays everything and says exited', async () => {
  const a = await CoderoomClient.connect(srv.wsUrl);
  const { run } = await a.run("import time\nprint('one', flush=True)\ntime.sleep(0.8)\nprint('two', flush=True)\n");
  await a.waitOutput('one');
  a.terminate();
  await waitNoRuns(srv); // the run ends while nobody is attached
  const b = await CoderoomClient.connect(srv.wsUrl);
  try {
    b.attach(run);
    const ev = await b.waitFor((e) => e.kind === 'json' && ['attached', 'error'].includes(e.msg.type) && e.msg, { timeout: 5000, what: 'attached' });
    assert.equal(ev.type, 'attached', JSON.stringify(ev));
    assert.equal(ev.state, 'exited');
    assert.equal(b.out, 'one\r\ntwo\r\n');
    const ex = await b.waitExit({ timeout: 5000 });
    assert.equal(ex.status, 'ok');
  } finally { await b.close(); }
});

test('without an attach in time the run is killed (processes gone), and attach says so', async () => {
  const mark = marker('grace');
  const a = await CoderoomClient.connect(srv.wsUrl);
  const { run } = await a.run(`import sys, os, time
os.execv(sys.executable, [sys.executable, '-c', 'import time\\nwhile True: time.sleep(1)', '${mark}'])
`);
  await waitUntil(() => procsMatching(mark).length > 0, { timeout: 10000, what: 'the program on the host' });
  const before = (await health(srv.url)).connections;
  a.terminate();
  // the server has seen the socket go, and the run is still there
  await waitUntil(async () => (await health(srv.url)).connections < before, { timeout: 5000, what: 'the socket closed' });
  assert.equal((await health(srv.url)).runs_active, 1, 'the run outlives its socket during the grace period');
  await waitNoRuns(srv, 10000);
  assert.deepEqual(procsMatching(mark), [], 'the run\'s processes are gone after the grace period');
  const b = await CoderoomClient.connect(srv.wsUrl);
  try {
    await sleep(200);
    b.attach(run);
    // either the id is gone, or it still tells what happened: killed
    const e = await b.waitFor((ev) => ev.kind === 'json' && ['error', 'attached'].includes(ev.msg.type) && ev.msg,
      { timeout: 5000, what: 'reply to attach' });
    if (e.type === 'error') assert.equal(e.code, 'no_such_run');
    else {
      assert.equal(e.state, 'exited', JSON.stringify(e));
      const ex = await b.waitExit({ timeout: 5000 });
      assert.equal(ex.status, 'killed', JSON.stringify(ex));
    }
  } finally { await b.close(); }
});

test('after a reattach the new socket types into the waiting program', async () => {
  const a = await CoderoomClient.connect(srv.wsUrl);
  const { run } = await a.run("s = input('> ')\nprint('got', s)\n");
  await a.waitOutput('> ');
  a.terminate();
  const b = await CoderoomClient.connect(srv.wsUrl);
  try {
    b.attach(run);
    await b.waitType('attached', { timeout: 5000 });
    b.input('yes\r');
    const ex = await b.waitExit({ timeout: 10000 });
    assert.equal(ex.status, 'ok');
    assert.ok(b.out.includes('got yes'), JSON.stringify(b.out));
  } finally { await b.close(); }
});
