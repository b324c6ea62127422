// sio-runner.test.mjs - the interactive runner's Socket.IO events, driven
// by the official socket.io-client in each of its transport modes (polling
// then the upgrade to WebSocket, polling only, WebSocket only): connected,
// start_interactive/started, output by stream, input_request, send_input,
// stop on a double-forked tree, exit, error, acks; output complete and in
// order at exit; the run ends with its socket; reconnect after the server
// drops the transport.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { health, marker, procsMatching, waitNoRuns, waitUntil } from '../lib/clients.mjs';
import { SioClient, TRANSPORTS } from '../lib/sio.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

// A program whose grandchild (double fork + setsid) keeps printing ticks;
// its host command line carries a marker the test looks for in /proc.
function treeProgram(mark) {
  const child = "import time\\nwhile True:\\n    print('tick', flush=True)\\n    time.sleep(0.1)\\n";
  return `import os, sys, time
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, '-c', "${child}", '${mark}'])
    os._exit(0)
os.waitpid(pid, 0)
print('parent', flush=True)
time.sleep(1000)
`;
}

async function assertTreeGone(mark) {
  await waitUntil(() => procsMatching(mark).length === 0, { timeout: 5000, what: 'the tree gone' })
    .catch(() => assert.fail(`processes left on the host: ${JSON.stringify(procsMatching(mark))}`));
}

for (const mode of TRANSPORTS) {
  describe(`socket.io-client, ${mode.name}`, () => {
    test('connected, then an input round trip with input_request, output by stream and exit', async () => {
      const c = await SioClient.connect(srv.url, mode.opts);
      try {
        assert.equal(typeof c.connected.sid, 'string');
        assert.equal(c.connected.sid, c.sock.id, 'connected.sid is the socket id the client got');
        assert.ok(c.connected.languages.includes('python'), JSON.stringify(c.connected));
        if (mode.final === 'websocket') await c.waitTransport('websocket');
        const started = await c.run(`import sys
name = input("name? ")
print("hello", name)
print("oops", file=sys.stderr)
sys.exit(3)
`);
        assert.match(started.run, /^[0-9a-f]{32}$/);
        assert.equal(started.language, 'python');
        const req = await c.waitEvent('input_request', { since: c.runStart });
        assert.equal(req.data.prompt, 'name? ');
        c.emit('send_input', { input: 'Ada Lovelace' });
        const ex = await c.waitExit();
        assert.deepEqual(Object.keys(ex).sort(), ['code', 'cpu_ms', 'signal', 'status', 'wall_ms']);
        assert.equal(ex.code, 3);
        assert.equal(ex.signal, null);
        assert.equal(ex.status, 'runtime_error');
        assert.equal(c.out, 'name? hello Ada Lovelace\n');
        assert.equal(c.err, 'oops\n');
        assert.equal(c.transport, mode.final);
      } finally { c.close(); }
    });

    test('send_input takes {data} too, and the text always gets a newline', async () => {
      const c = await SioClient.connect(srv.url, mode.opts);
      try {
        await c.run('a = input()\nb = input()\nprint(repr(a), repr(b))\n');
        c.emit('send_input', { data: 'one' });
        c.emit('send_input', { input: '' });
        await c.waitExit();
        assert.equal(c.out, "'one' ''\n");
      } finally { c.close(); }
    });

    test('stop kills a double-forked, setsid grandchild', async () => {
      const mark = marker('siotree');
      const c = await SioClient.connect(srv.url, mode.opts);
      try {
        await c.run(treeProgram(mark));
        await c.waitOutput(/(tick\n.*){3}/s, { timeout: 20000 });
        assert.ok(procsMatching(mark).length >= 1, 'the grandchild is visible on the host before stop');
        const ack = await c.call('stop', {});
        assert.deepEqual(ack, { ok: true });
        const ex = await c.waitExit();
        assert.equal(ex.status, 'killed');
        assert.equal(ex.signal, 'SIGKILL');
        assert.equal(ex.code, null);
        await assertTreeGone(mark);
      } finally { c.close(); }
    });

    test('output is complete and in order at exit (both streams, several MB, multi-byte text)', async () => {
      const c = await SioClient.connect(srv.url, mode.opts);
      try {
        // 60000 lines on stdout (about 2.7 MB with the emoji), 2000 on stderr
        await c.run(`import sys
for i in range(60000):
    print(f"line {i:06d} \u00e9\u20ac\u{1F600} " + "x" * 20)
    if i % 30 == 0:
        print(f"err {i}", file=sys.stderr)
`);
        const ex = await c.waitExit({ timeout: 120000 });
        assert.equal(ex.status, 'ok', JSON.stringify(ex));
        const lines = c.out.split('\n');
        assert.equal(lines.pop(), '');
        assert.equal(lines.length, 60000);
        for (let i = 0; i < lines.length; i++) {
          if (lines[i] !== `line ${String(i).padStart(6, '0')} \u00e9\u20ac\u{1F600} ${'x'.repeat(20)}`)
            assert.fail(`stdout line ${i} is ${JSON.stringify(lines[i])}`);
        }
        const errs = c.err.split('\n');
        errs.pop();
        assert.deepEqual(errs, Array.from({ length: 2000 }, (_, k) => `err ${k * 30}`));
        // nothing after exit
        const exitAt = c.events.findIndex((e) => e.kind === 'event' && e.event === 'exit');
        assert.equal(c.events.slice(exitAt + 1).filter((e) => e.event === 'output').length, 0);
      } finally { c.close(); }
    });

    test('acks: start_interactive answers {ok, run, language}; refusals answer {ok: false} and emit error', async () => {
      const c = await SioClient.connect(srv.url, mode.opts);
      try {
        const bad = await c.call('start_interactive', { code: 'print(1)', language: 'cobol-85' });
        assert.equal(bad.ok, false);
        assert.match(bad.error, /unsupported language 'cobol-85'/);
        const err = await c.waitEvent('error');
        assert.equal(err.data.message, bad.error);

        const notObj = await c.call('start_interactive', 'print(1)');
        assert.deepEqual(notObj, { ok: false, error: "'start_interactive' wants an object argument" });
        const noCode = await c.call('start_interactive', { language: 'python' });
        assert.equal(noCode.ok, false);
        assert.match(noCode.error, /'code' must be a string/);
        const noRun = await c.call('send_input', { input: 'x' });
        assert.deepEqual(noRun, { ok: false, error: 'no program is running' });
        const noStop = await c.call('stop');
        assert.deepEqual(noStop, { ok: false, error: 'no program is running' });
        const unknown = await c.call('frobnicate', { a: 1 });
        assert.deepEqual(unknown, { ok: false, error: "unknown event 'frobnicate'" });

        const ok = await c.call('start_interactive', { code: 'input()\n' });
        assert.equal(ok.ok, true);
        assert.match(ok.run, /^[0-9a-f]{32}$/);
        assert.equal(ok.language, 'python');
        const busy = await c.call('start_interactive', { code: 'print(2)\n' });
        assert.deepEqual(busy, { ok: false, error: 'a program is already running; stop it first' });
        assert.deepEqual(await c.call('send_input', { input: 'done' }), { ok: true });
        await c.waitEvent('exit');
        // the socket can run again after the exit
        const since = c.events.length;
        const again = await c.call('start_interactive', { code: 'print("again")\n', language: 'python' });
        assert.equal(again.ok, true);
        await c.waitEvent('exit', { since });
        assert.equal(c.output('stdout', since), 'again\n');
      } finally { c.close(); }
    });

    test('a run ends with its socket: disconnect kills the tree', async () => {
      const mark = marker('siodisc');
      const c = await SioClient.connect(srv.url, mode.opts);
      await c.run(treeProgram(mark));
      await c.waitOutput('tick', { timeout: 20000 });
      c.close();
      await assertTreeGone(mark);
      await waitNoRuns(srv);
    });
  });
}

test('another language by name, and a compile error reaches the client as output and exit', async (t) => {
  const langs = (await (await fetch(`${srv.url}/api/languages`)).json()).filter((l) => l.available).map((l) => l.id);
  if (!langs.includes('c')) { t.skip('no C toolchain on this machine'); return; }
  const c = await SioClient.connect(srv.url);
  try {
    const st = await c.run('#include <stdio.h>\nint main(void){char b[64]; if(!fgets(b,64,stdin)) return 1; printf("got %s", b); return 0;}\n', 'c');
    assert.equal(st.language, 'c');
    await c.waitEvent('input_request', { since: c.runStart, timeout: 60000 });
    c.emit('send_input', { input: 'xyz' });
    const ex = await c.waitExit({ timeout: 60000 });
    assert.equal(ex.status, 'ok');
    assert.equal(c.out, 'got xyz\n');
    await c.run('int main(void) { return missing; }\n', 'c');
    const bad = await c.waitExit({ timeout: 60000 });
    assert.equal(bad.status, 'compile_error');
    assert.match(c.err + c.out, /missing/);
  } finally { c.close(); }
});

test('reconnect after the server drops the transport: a new server on the same port, both transports', async () => {
  const own = await startServer();
  const port = own.port;
  const clients = [];
  try {
    for (const mode of [TRANSPORTS[0], TRANSPORTS[2]]) {
      const c = await SioClient.connect(own.url, { ...mode.opts, reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500 });
      if (mode.final === 'websocket') await c.waitTransport('websocket');
      clients.push(c);
    }
    const first = clients.map((c) => c.connected.sid);
    await clients[0].run('import time\nprint("up", flush=True)\ntime.sleep(1000)\n');
    await clients[0].waitOutput('up');
    await own.stop();
    // the run was killed by the shutdown and its exit reached the client
    const ex = await clients[0].waitExit();
    assert.equal(ex.status, 'killed');
    for (const c of clients) {
      const d = await c.waitFor((e) => e.kind === 'disconnect', { what: 'disconnect' });
      assert.equal(d.reason, 'transport close', 'a reason the client reconnects after');
    }
    const again = await startServer({ listen: `127.0.0.1:${port}` });
    try {
      for (const [i, c] of clients.entries()) {
        await c.waitFor((e) => e.kind === 'reconnect', { timeout: 30000, what: 'reconnect' });
        const conn = await c.waitEvent('connected', { pred: (d) => d.sid !== first[i], timeout: 30000 });
        assert.equal(conn.data.sid, c.sock.id);
        await c.run('print(input())\n');
        c.emit('send_input', { input: `back ${i}` });
        await c.waitExit();
        assert.equal(c.out, `back ${i}\n`);
      }
    } finally {
      for (const c of clients) c.close();
      await again.stop();
    }
  } finally {
    for (const c of clients) c.close();
    await own.stop();
  }
});

test('with API tokens configured, a client needs one: auth option, query or header; else connect_error', async () => {
  const own = await startServer({ webRoot: null, args: ['--api-token', 'sio-s3cret'] });
  try {
    for (const mode of [TRANSPORTS[0], TRANSPORTS[2]]) {
      const none = await SioClient.connect(own.url, { ...mode.opts, waitConnected: false });
      const err = await none.waitFor((e) => e.kind === 'connect_error', { what: 'connect_error' });
      assert.equal(err.message, 'a valid API token is required (the client\'s auth option: {token})');
      assert.equal(none.events.filter((e) => e.event === 'connected').length, 0);
      none.close();
      const wrong = await SioClient.connect(own.url, { ...mode.opts, auth: { token: 'nope' }, waitConnected: false });
      await wrong.waitFor((e) => e.kind === 'connect_error', { what: 'connect_error' });
      wrong.close();
      for (const how of [{ auth: { token: 'sio-s3cret' } }, { query: { token: 'sio-s3cret' } },
        ...(mode.final === 'websocket' && mode.opts.transports ? [] : [{ extraHeaders: { Authorization: 'Bearer sio-s3cret' } }])]) {
        const c = await SioClient.connect(own.url, { ...mode.opts, ...how });
        try {
          await c.run('print("in")\n');
          await c.waitExit();
          assert.equal(c.out, 'in\n', JSON.stringify(how));
        } finally { c.close(); }
      }
    }
  } finally { await own.stop(); }
});

test('a full server queues the run: queued {run, ahead}, then started when a slot frees', async () => {
  const own = await startServer({ webRoot: null, args: ['--max-runs', '1', '--client-runs', '2'] });
  const a = await SioClient.connect(own.url, { transports: ['websocket'] });
  const b = await SioClient.connect(own.url);
  try {
    await a.run('input()\n');
    b.runStart = b.events.length;
    const ack = await b.call('start_interactive', { code: 'print("b ran")\n' });
    assert.equal(ack.ok, true);
    const q = await b.waitEvent('queued', { since: b.runStart });
    assert.deepEqual(q.data, { run: ack.run, ahead: 0, message: 'waiting for a free slot: 0 ahead' });
    assert.equal(b.events.slice(b.runStart).filter((e) => e.event === 'started').length, 0, 'not started while queued');
    a.emit('send_input', { input: '' });
    await a.waitExit();
    const st = await b.waitEvent('started', { since: b.runStart });
    assert.equal(st.data.run, ack.run);
    assert.equal((await b.waitExit()).status, 'ok');
    assert.equal(b.out, 'b ran\n');
  } finally { a.close(); b.close(); await own.stop(); }
});

test('the server is left with no session and no run', async () => {
  await waitUntil(async () => (await health(srv.url)).socketio.sessions === 0, { timeout: 10000, what: 'no sessions' });
  await waitNoRuns(srv);
});
