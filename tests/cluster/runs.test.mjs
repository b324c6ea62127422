// runs.test.mjs - interactive runs through a cluster: a real redis-server,
// two gateways and two workers, each its own process.
//
// A run started through gateway A runs on a worker (gateways have no
// sandbox at all); input typed through A reaches it; a client on gateway
// B attaches and gets the scrollback, then the same live run; a client
// that drops and comes back through the other gateway loses nothing; the
// seed and Piston WebSocket dialects work through a gateway unchanged;
// a client that reads slowly holds the program, and Redis holds no more
// than the window meanwhile.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startCluster, redisAvailable, runRecord } from '../lib/cluster.mjs';
import { CoderoomClient, ExecuteClient, getJSON, sleep, waitUntil } from '../lib/clients.mjs';

const skip = !redisAvailable() && 'redis-server is not installed (scripts/setup.sh --test)';
let cl, A, B;
before(async () => {
  if (skip) return;
  cl = await startCluster({ gateways: 2, workers: 2 });
  [A, B] = cl.gateways;
});
after(async () => { await cl?.stop(); });

const nodeIds = async (servers) => Promise.all(servers.map(async (s) =>
  (await getJSON(`${s.url}/api/health`)).json.cluster.node));

test('a run through gateway A, typed into through A, runs on a worker; B attaches and sees it', { skip }, async () => {
  const gwHealth = (await getJSON(`${A.url}/api/health`)).json;
  assert.equal(gwHealth.sandbox, null, 'a gateway has no sandbox: it cannot run the program itself');
  assert.equal(gwHealth.cluster.role, 'gateway');
  const a = await CoderoomClient.connect(A.wsUrl);
  const b = await CoderoomClient.connect(B.wsUrl);
  try {
    const st = await a.run([
      'for i in range(3): print("before", i)',
      'name = input("name? ")',
      'print("hello", name)',
      'again = input("more? ")',
      'print("bye", again)',
    ].join('\n'));
    await a.waitOutput('name? ');
    const rec = await runRecord(cl.redis, st.run);
    assert.ok((await nodeIds(cl.workers)).includes(rec.w), `runs on a worker: ${JSON.stringify(rec)}`);
    assert.equal(rec.gw, (await nodeIds([A]))[0]);

    b.attach(st.run);
    const att = await b.waitType('attached', { timeout: 15000 });
    assert.equal(att.run, st.run);
    const attIdx = b.events.findIndex((e) => e.kind === 'json' && e.msg.type === 'attached');
    const replay = Buffer.concat(b.events.slice(0, attIdx).filter((e) => e.kind === 'binary' && e.type === 1)
      .map((e) => e.data)).toString();
    assert.equal(replay, 'before 0\r\nbefore 1\r\nbefore 2\r\nname? ', 'the scrollback came before "attached"');

    a.input('alice\r');
    await b.waitOutput('hello alice\r\nmore? ', { timeout: 15000 });
    await a.waitOutput('hello alice\r\nmore? ');
    b.input('from B\r');	// B may type too: it is the same run
    const [ea, eb] = await Promise.all([a.waitExit(), b.waitExit()]);
    assert.equal(ea.status, 'ok');
    assert.equal(eb.status, 'ok');
    assert.equal(ea.run, st.run);
    const all = 'before 0\r\nbefore 1\r\nbefore 2\r\nname? alice\r\nhello alice\r\nmore? from B\r\nbye from B\r\n';
    assert.equal(a.out, all);
    assert.equal(b.out, all);
  } finally { await a.close(); await b.close(); }
});

test('a client that drops from A and comes back through B loses nothing', { skip }, async () => {
  const program = [
    'import time',
    'for i in range(3): print(f"early {i}", flush=True)',
    'for i in range(15):',
    '    time.sleep(0.2)',
    '    print(f"live {i}", flush=True)',
  ].join('\n');
  const a = await CoderoomClient.connect(A.wsUrl);
  const { run } = await a.run(program);
  await a.waitOutput('early 2\r\n');
  a.terminate();	// an abrupt drop, no goodbye
  await sleep(300);
  const b = await CoderoomClient.connect(B.wsUrl);
  try {
    b.attach(run);
    await b.waitType('attached', { timeout: 15000 });
    const ex = await b.waitExit({ timeout: 30000 });
    assert.equal(ex.status, 'ok');
    const expected = ['early 0', 'early 1', 'early 2', ...Array.from({ length: 15 }, (_, i) => `live ${i}`)]
      .map((l) => l + '\r\n').join('');
    assert.equal(b.out, expected, 'every line once, in order: the scrollback, then live');
  } finally { await b.close(); }
});

test('attaching to a run id the cluster does not know answers no_such_run', { skip }, async () => {
  const c = await CoderoomClient.connect(B.wsUrl);
  try {
    c.attach('0123456789abcdef0123456789abcdef');
    const err = await c.waitType('error', { timeout: 15000 });
    assert.equal(err.code, 'no_such_run');
    // the connection still works
    await c.run('print(6 * 7)');
    assert.equal((await c.waitExit()).status, 'ok');
    assert.equal(c.out, '42\r\n');
  } finally { await c.close(); }
});

test('/ws/execute through a gateway: input_request, input_response, complete', { skip }, async () => {
  const x = await ExecuteClient.connect(A.wsUrl);
  try {
    x.execute('n = input("number: ")\nprint(int(n) * 2)\nimport sys\nprint("err", file=sys.stderr)');
    const req = await x.waitType('input_request', { timeout: 20000 });
    assert.equal(req.prompt, 'number: ');
    x.send({ type: 'input_response', data: '21' });
    const done = await x.waitType('complete', { timeout: 20000 });
    assert.equal(done.status, 'ok');
    assert.equal(done.exit_code, 0);
    assert.equal(x.stdout, 'number: 42\n');
    assert.equal(x.stderr, 'err\n');
    assert.equal((await x.waitClose()).code, 1000);
  } finally { x.ws.terminate(); }
});

test('Piston /api/v2/connect through a gateway: a compiled program, stages in order', { skip }, async () => {
  const ws = new WebSocket(`${B.wsUrl}/api/v2/connect`);
  const msgs = [];
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (d) => msgs.push(JSON.parse(d.toString())));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({
    type: 'init', language: 'c', version: '*',
    files: [{ content: '#include <stdio.h>\nint main(void){char s[64]; if(scanf("%63s", s)==1) printf("got %s\\n", s); return 3;}' }],
  }));
  await waitUntil(() => msgs.some((m) => m.type === 'stage' && m.stage === 'run'), { timeout: 60000, what: 'run stage' });
  ws.send(JSON.stringify({ type: 'data', stream: 'stdin', data: 'word\n' }));
  const close = await closed;
  assert.equal(close.code, 4999, JSON.stringify(msgs));
  const types = msgs.map((m) => m.type + (m.stage ? ':' + m.stage : ''));
  assert.deepEqual(types.filter((t) => t.startsWith('stage') || t.startsWith('exit')),
    ['stage:compile', 'exit:compile', 'stage:run', 'exit:run']);
  const out = msgs.filter((m) => m.type === 'data' && m.stream === 'stdout').map((m) => m.data).join('');
  assert.equal(out, 'got word\n');
  assert.equal(msgs.find((m) => m.type === 'exit' && m.stage === 'run').code, 3);
});

test('a slow client holds the program; Redis keeps at most the window; nothing is lost', { skip }, async () => {
  // 6 MB of numbered lines; the client acknowledges nothing for a while
  const lines = 200000;
  const a = await CoderoomClient.connect(A.wsUrl);
  try {
    const { run } = await a.run(`import sys\nfor i in range(${lines}): sys.stdout.write(f"{i:08d} ........................\\n")\n`,
      { ack: true });
    // it stalls: the gateway stops reading, the worker pauses the program
    let last = -1;
    await waitUntil(async () => {
      const n = a.stdout.length;
      const stalled = n > 0 && n === last;
      last = n;
      return stalled;
    }, { timeout: 30000, interval: 1500, what: 'the output to stall without acks' });
    const got = a.stdout.length;
    assert.ok(got < lines * 34, `it stalled before the end (${got} bytes)`);
    const mem = Number((await cl.redis.cli('MEMORY', 'USAGE', `coderoom:ev:${run}`, 'SAMPLES', '0'))[0] || 0);
    // scrollback (256 KiB) + window (512 KiB) + entries not trimmed yet
    // (at most 16 x 16 KiB) + overhead; every node counted (SAMPLES 0)
    assert.ok(mem < 1.5 * 1024 * 1024, `the run's stream in Redis holds ${mem} bytes`);
    // acknowledge as it comes: everything arrives, in order
    const ackTimer = setInterval(() => a.send({ type: 'ack', bytes: a.stdout.length }), 50);
    try {
      const ex = await a.waitExit({ timeout: 120000 });
      assert.equal(ex.status, 'ok');
    } finally { clearInterval(ackTimer); }
    const text = a.out.split('\r\n');
    assert.equal(text.length, lines + 1);
    for (let i = 0; i < lines; i += 9973) assert.equal(text[i].slice(0, 8), String(i).padStart(8, '0'));
    assert.equal(text[lines - 1].slice(0, 8), String(lines - 1).padStart(8, '0'));
  } finally { await a.close(); }
});
