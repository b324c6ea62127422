// sio-wire.test.mjs - Engine.IO and Socket.IO on the wire, with what the
// official client never sends: the handshake byte for byte, the reference
// server's refusals, malformed and oversized packets over both transports,
// overlapping requests, a client that never polls (reaped, counted), too
// many sessions, the connect timeout, namespaces, the rate limit, CORS,
// flow control on a client that stops polling; and at the end nothing
// leaked (no session, no run, the server's fds back where they were).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';
import { startServer } from '../lib/server.mjs';
import { health, sleep, waitNoRuns, waitUntil } from '../lib/clients.mjs';
import { eio, request, serverFds, SioClient } from '../lib/sio.mjs';

const ORIGIN_OK = 'http://pages.example:3000';

let srv;	// the defaults, plus one CORS origin
let fast;	// short heartbeats and connect timeout, for reaping
let fds0;
before(async () => {
  srv = await startServer({ webRoot: null, args: ['--cors-origin', ORIGIN_OK] });
  fast = await startServer({
    webRoot: null,
    args: ['--sio-ping-interval-ms', '1000', '--sio-ping-timeout-ms', '1000', '--sio-connect-timeout-ms', '1500'],
  });
  fds0 = serverFds(srv.pid);
});
after(async () => {
  if (srv) await srv.stop();
  if (fast) await fast.stop();
});

const sioStats = async (base = srv.url) => (await health(base)).socketio;
const waitSessions = (n, what = `${n} sessions`) =>
  waitUntil(async () => (await sioStats()).sessions === n, { timeout: 15000, what });

// A session past its handshake, joined to "/": {sid, nsid (the Socket.IO id)}.
async function joined(base = srv.url, { poll = true } = {}) {
  const { sid } = await eio.handshake(base);
  assert.equal((await eio.post(base, sid, '40')).text, 'ok');
  if (!poll) return { sid };
  const pkts = await eio.pollUntil(base, sid, '40');
  const nsid = JSON.parse(pkts.find((p) => p.startsWith('40')).slice(2)).sid;
  return { sid, nsid };
}

// After the session closed: the next poll is refused as unknown.
async function assertGone(sid, base = srv.url) {
  await waitUntil(async () => (await eio.get(base, sid)).status === 400, { what: `session ${sid} gone` });
  const r = await eio.get(base, sid);
  assert.deepEqual(r.json, { code: 1, message: 'Session ID unknown' });
}

describe('handshake and refusals', () => {
  test('the open packet, byte for byte as the reference server writes it', async () => {
    const { sid, open, res } = await eio.handshake(srv.url);
    assert.match(sid, /^[A-Za-z0-9_-]{20}$/);
    assert.equal(res.text, `0{"sid":"${sid}","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`);
    assert.equal(res.headers['content-type'], 'text/plain; charset=UTF-8');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(open.maxPayload, 1000000);
    const w = await eio.ws(srv.wsUrl);
    const f = await w.next(() => true);
    assert.match(f, /^0\{"sid":"[A-Za-z0-9_-]{20}","upgrades":\[\],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000\}$/);
    w.ws.close();
    assert.equal((await eio.post(srv.url, sid, '1')).text, 'ok');
  });

  test('a poll is held past lws\'s own 20 s request timeout, until the ping at 25 s', async () => {
    const { sid } = await eio.handshake(srv.url);
    const r = await eio.get(srv.url, sid, { timeout: 60000 });
    assert.equal(r.status, 200);
    assert.equal(r.text, '2');
    assert.equal((await eio.post(srv.url, sid, '3\x1e1')).text, 'ok');
  });

  test('the reference server\'s error bodies', async () => {
    const cases = [
      ['/socket.io/?EIO=4&transport=carrier-pigeon', 'GET', { code: 0, message: 'Transport unknown' }],
      ['/socket.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA', 'GET', { code: 1, message: 'Session ID unknown' }],
      ['/socket.io/?EIO=4&transport=polling&sid=not%20a%20sid', 'GET', { code: 1, message: 'Session ID unknown' }],
      ['/socket.io/?EIO=4&transport=polling', 'POST', { code: 2, message: 'Bad handshake method' }],
      ['/socket.io/?EIO=4&transport=polling', 'PUT', { code: 2, message: 'Bad handshake method' }],
      ['/socket.io/?EIO=4&transport=polling&EIO=4', 'GET', { code: 3, message: 'Bad request' }],
      ['/socket.io/?EIO=4&transport=websocket', 'GET', { code: 3, message: 'Bad request' }],
      ['/socket.io/?EIO=3&transport=polling', 'GET', { code: 5, message: 'Unsupported protocol version' }],
      ['/socket.io/?transport=polling', 'GET', { code: 5, message: 'Unsupported protocol version' }],
      [`/socket.io/?EIO=4&transport=polling&x=${'a'.repeat(5000)}`, 'GET', { code: 3, message: 'Bad request' }],
    ];
    for (const [path, method, body] of cases) {
      const r = await request(srv.url + path, { method, body: method === 'GET' ? undefined : '' });
      assert.equal(r.status, 400, `${method} ${path}: ${r.status} ${r.text}`);
      assert.deepEqual(r.json, body, `${method} ${path}`);
      assert.equal(r.headers['content-type'], 'application/json');
    }
    const ws = await eio.ws(srv.wsUrl, '&sid=AAAAAAAAAAAAAAAAAAAA').then(() => null, (e) => e);
    assert.equal(ws?.status, 400, 'an upgrade for no session is a plain 400');
    const v3 = await rawUpgrade(srv.wsUrl + '/socket.io/?EIO=3&transport=websocket');
    assert.equal(v3, 400);
    assert.equal((await sioStats()).sessions, 0);
  });
});

describe('malformed and oversized, over polling', () => {
  test('a malformed Engine.IO payload: 400, the session closed', async () => {
    for (const body of ['9abc', '4ok\x1e', '', '4\x1e\x1e4', 'b###', '2', '\xff']) {
      const { sid } = await eio.handshake(srv.url);
      const r = await eio.post(srv.url, sid, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.status} ${r.text}`);
      assert.equal(r.json.code, 3);
      await assertGone(sid);
    }
  });

  test('a malformed Socket.IO packet closes the session; the client is told with "1"', async () => {
    for (const pkt of ['42["x"', '4X', '40/admin', '42"not an array"', '43["no id"]', '451-["x",{"_placeholder":true,"num":0}]', '42["connect"]', '42[1]']) {
      const { sid } = await joined();
      assert.equal((await eio.post(srv.url, sid, pkt)).text, 'ok', pkt);
      const seen = await eio.pollUntil(srv.url, sid, '1');
      assert.equal(seen.at(-1), '1', `${pkt}: ${JSON.stringify(seen)}`);
      await assertGone(sid);
    }
  });

  test('a body over maxPayload is refused at its headers (413), before it is read', async () => {
    for (const length of [1000001, 50000000]) {
      const { sid } = await eio.handshake(srv.url);
      const raw = await rawHttp(srv.port, `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${length}\r\n\r\n4abc`);
      assert.match(raw, /^HTTP\/1\.1 413/, raw);
      assert.match(raw, /\{"code":3,"message":"payload too large"\}$/);
      await assertGone(sid);
    }
    // a body just under it goes through
    const { sid } = await joined();
    const r = await eio.post(srv.url, sid, '4' + '2["x",' + JSON.stringify('y'.repeat(999980)) + ']');
    assert.equal(r.status, 200, r.text);
    assert.equal((await eio.post(srv.url, sid, '1')).text, 'ok');
  });

  test('a chunked POST body is taken; one over maxPayload is refused once decoded', async () => {
    const { sid } = await joined();
    const chunk = (t) => `${Buffer.byteLength(t).toString(16)}\r\n${t}\r\n`;
    const head = `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const ok = await rawHttp(srv.port, head + chunk('421["st') + chunk('op"]') + '0\r\n\r\n');
    assert.match(ok, /^HTTP\/1\.1 200/, ok);
    assert.match(ok, /\r\n\r\nok$/);
    const seen = await eio.pollUntil(srv.url, sid, '431');
    assert.ok(seen.includes('431[{"ok":false,"error":"no program is running"}]'), JSON.stringify(seen));
    const big = await rawHttp(srv.port, head + chunk('4' + 'x'.repeat(600000)) + chunk('y'.repeat(500000)) + '0\r\n\r\n');
    assert.match(big, /^HTTP\/1\.1 413/, big.slice(0, 200));
    await assertGone(sid);
  });

  test('a binary POST body is refused (v4 has none)', async () => {
    const { sid } = await eio.handshake(srv.url);
    const r = await eio.post(srv.url, sid, '4abc', { headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(r.status, 400);
    await assertGone(sid);
  });

  test('two polls at once: the new one 400, the held one "1", the session closed', async () => {
    const { sid } = await eio.handshake(srv.url);
    const held = eio.get(srv.url, sid);
    await sleep(100);
    const second = await eio.get(srv.url, sid);
    assert.equal(second.status, 400);
    assert.deepEqual(second.json, { code: 3, message: 'overlapping poll' });
    assert.equal((await held).text, '1');
    await assertGone(sid);
  });

  test('two POSTs at once: the second is refused at its headers while the first body is still coming', async () => {
    const { sid } = await eio.handshake(srv.url);
    const slow = net.connect(srv.port, '127.0.0.1');
    let slowText = '';
    slow.on('data', (d) => { slowText += d; });
    await new Promise((r) => slow.on('connect', r));
    slow.write(`POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 10\r\n\r\n4ab`);
    await sleep(200);
    const second = await eio.post(srv.url, sid, '3');
    assert.equal(second.status, 400);
    assert.deepEqual(second.json, { code: 3, message: 'overlapping POST' });
    await assertGone(sid);
    slow.end('cdefgh');
    await waitUntil(() => slowText.includes('\r\n\r\n'), { what: 'the first POST answered' });
    assert.match(slowText, /^HTTP\/1\.1 400/);
    slow.destroy();
  });

  test('a ping from the client is a protocol error in v4', async () => {
    const { sid } = await eio.handshake(srv.url);
    const r = await eio.post(srv.url, sid, '2');
    assert.equal(r.status, 400);
    await assertGone(sid);
  });
});

describe('malformed and oversized, over WebSocket', () => {
  test('a malformed Engine.IO frame closes with 1002', async () => {
    for (const frame of ['9', '', 'x', '\u0001']) {
      const w = await eio.ws(srv.wsUrl);
      await w.next((f) => f.startsWith('0'));
      w.ws.send(frame);
      const cl = await w.closed;
      assert.equal(cl.code, 1002, `${JSON.stringify(frame)}: ${cl.code} ${cl.reason}`);
    }
  });

  test('a malformed Socket.IO packet closes the WebSocket', async () => {
    for (const pkt of ['42["x"', '4{}', '42{"a":1}', '451-["x",{"_placeholder":true,"num":0}]']) {
      const w = await eio.ws(srv.wsUrl);
      await w.next((f) => f.startsWith('0'));
      w.ws.send('40');
      await w.next((f) => f.startsWith('40'));
      w.ws.send(pkt);
      const cl = await w.closed;
      assert.equal(cl.code, 1000, `${pkt}: ${cl.code} ${cl.reason}`);
      assert.match(cl.reason, /parse error|binary attachment/);
    }
  });

  test('a binary frame without a packet closes the session', async () => {
    const w = await eio.ws(srv.wsUrl);
    await w.next((f) => f.startsWith('0'));
    w.ws.send('40');
    await w.next((f) => f.startsWith('40'));
    w.ws.send(Buffer.from([1, 2, 3]));
    const cl = await w.closed;
    assert.equal(cl.reason, 'binary attachment');
  });

  test('a frame over maxPayload closes with 1009, with no JSON error frame before it', async () => {
    const w = await eio.ws(srv.wsUrl);
    await w.next((f) => f.startsWith('0'));
    w.ws.send('4' + 'x'.repeat(1000000));
    const cl = await w.closed;
    assert.equal(cl.code, 1009);
    const w2 = await eio.ws(srv.wsUrl);
    await w2.next((f) => f.startsWith('0'));
    w2.ws.send('4' + 'x'.repeat(1100000));	// past the net layer's own limit too
    const cl2 = await w2.closed;
    assert.equal(cl2.code, 1009);
    assert.deepEqual(w2.frames.filter((f) => f[0] === '{'), [], 'no coderoom JSON on a Socket.IO socket');
  });

  test('the rate limit: a burst of more than 1000 packets closes with 1008', async () => {
    const w = await eio.ws(srv.wsUrl);
    await w.next((f) => f.startsWith('0'));
    const before = await sioStats();
    for (let i = 0; i < 1200; i++) w.ws.send('3');
    const cl = await w.closed;
    // 1008 "rate limit" - or 1006 when the frames still unread when the
    // server closes make the kernel reset the connection before the close
    // frame is read
    assert.ok(cl.code === 1008 || cl.code === 1006, `${cl.code} ${cl.reason}`);
    if (cl.code === 1008) assert.equal(cl.reason, 'rate limit');
    const after = await sioStats();
    assert.equal(after.errors - before.errors, 1, 'the server ended the session for it');
  });

  test('a second WebSocket for an upgraded session is refused; polling on it gets 400', async () => {
    const { sid } = await eio.handshake(srv.url);
    const w = await eio.ws(srv.wsUrl, `&sid=${sid}`);
    w.ws.send('2probe');
    await w.next((f) => f === '3probe');
    w.ws.send('5');
    await sleep(100);
    const w2 = await eio.ws(srv.wsUrl, `&sid=${sid}`);
    const cl2 = await w2.closed;
    assert.equal(cl2.code, 1008);
    const r = await eio.get(srv.url, sid);
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, { code: 3, message: 'transport mismatch' });
    w.ws.send('40');
    await w.next((f) => f.startsWith('40{"sid"'));
    w.ws.close();
  });
});

describe('Socket.IO layer', () => {
  test('another namespace gets CONNECT_ERROR "Invalid namespace"; "/" on the same manager still works', async () => {
    const c = await SioClient.connect(srv.url + '/admin', { waitConnected: false });
    const err = await c.waitFor((e) => e.kind === 'connect_error', { what: 'connect_error' });
    assert.equal(err.message, 'Invalid namespace');
    c.close();
    const { sid } = await joined();
    assert.equal((await eio.post(srv.url, sid, '40/other,')).text, 'ok');
    const seen = await eio.pollUntil(srv.url, sid, '44/other,');
    assert.ok(seen.includes('44/other,{"message":"Invalid namespace"}'), JSON.stringify(seen));
    // events on a namespace not joined are ignored, as the reference does
    assert.equal((await eio.post(srv.url, sid, '42/other,["start_interactive",{"code":"print(1)"}]')).text, 'ok');
    assert.equal((await eio.post(srv.url, sid, '1')).text, 'ok');
  });

  test('an ack is answered on the same id; an event before CONNECT is ignored', async () => {
    const { sid } = await eio.handshake(srv.url);
    assert.equal((await eio.post(srv.url, sid, '42["stop"]')).text, 'ok');
    assert.equal((await eio.post(srv.url, sid, '40')).text, 'ok');
    assert.equal((await eio.post(srv.url, sid, '4217["stop"]\x1e4218["nope",1,2]')).text, 'ok');
    const seen = await eio.pollUntil(srv.url, sid, '4318');
    assert.ok(seen.includes('4317[{"ok":false,"error":"no program is running"}]'), JSON.stringify(seen));
    assert.ok(seen.includes('4318[{"ok":false,"error":"unknown event \'nope\'"}]'), JSON.stringify(seen));
    // the connected event came once, after the CONNECT answer
    const i40 = seen.findIndex((p) => p.startsWith('40{'));
    const iconn = seen.findIndex((p) => p.startsWith('42["connected"'));
    assert.ok(i40 >= 0 && iconn > i40, JSON.stringify(seen));
    assert.equal(seen.filter((p) => p.startsWith('42["error"')).length, 2, 'the refusals were emitted too');
    assert.equal((await eio.post(srv.url, sid, '1')).text, 'ok');
  });

  test('DISCONNECT ends the run; the session stays until the client closes it', async () => {
    const { sid } = await joined();
    assert.equal((await eio.post(srv.url, sid, '42["start_interactive",{"code":"import time\\nprint(\\"up\\", flush=True)\\ntime.sleep(100)"}]')).text, 'ok');
    await eio.pollUntil(srv.url, sid, '42["output"');
    assert.equal((await health(srv.url)).runs_active, 1);
    assert.equal((await eio.post(srv.url, sid, '41')).text, 'ok');
    await waitNoRuns(srv);
    assert.equal((await eio.post(srv.url, sid, '40')).text, 'ok', 'it may join again');
    await eio.pollUntil(srv.url, sid, '42["connected"');
    assert.equal((await eio.post(srv.url, sid, '1')).text, 'ok');
  });
});

describe('limits and reaping', () => {
  test('a client that never polls is reaped at its ping timeout, and counted', async () => {
    const before = await sioStats(fast.url);
    const { sid } = await joined(fast.url, { poll: false });
    const w = await eio.ws(fast.wsUrl);	// a WebSocket client that never answers pings
    await w.next((f) => f.startsWith('0'));
    w.ws.send('40');
    await w.next((f) => f === '2');
    const cl = await w.closed;
    assert.equal(cl.reason, 'ping timeout');
    await assertGone(sid, fast.url);
    const after = await sioStats(fast.url);
    assert.equal(after.timed_out - before.timed_out, 2);
    assert.equal(after.sessions, 0);
  });

  test('a session that joins no namespace is closed after the connect timeout', async () => {
    const { sid } = await eio.handshake(fast.url);
    const seen = await eio.pollUntil(fast.url, sid, '1');
    assert.equal(seen.at(-1), '1');
    assert.ok(!seen.includes('40'), JSON.stringify(seen));
    await assertGone(sid, fast.url);
  });

  test('too many sessions: a clear 503 (polling and WebSocket), and room again once some close', async () => {
    const own = await startServer({ webRoot: null, args: ['--sio-max-sessions', '3'] });
    try {
      const sids = [];
      for (let i = 0; i < 3; i++) sids.push((await eio.handshake(own.url)).sid);
      const r = await request(eio.url(own.url));
      assert.equal(r.status, 503);
      assert.deepEqual(r.json, { code: 4, message: 'Too many sessions' });
      assert.equal(r.headers['retry-after'], '1');
      const ws = await eio.ws(own.wsUrl).then(() => null, (e) => e);
      assert.equal(ws?.status, 503);
      const st = (await health(own.url)).socketio;
      assert.equal(st.sessions, 3);
      assert.equal(st.refused, 2);
      assert.equal((await eio.post(own.url, sids[0], '1')).text, 'ok');
      await eio.handshake(own.url);
    } finally { await own.stop(); }
  });

  test('a client that stops polling pauses its program instead of piling up output', async () => {
    const { sid } = await joined();
    // 8 MB of output, far over the 4 MiB a session may hold for a client
    const code = 'import sys\\nfor i in range(200000):\\n    sys.stdout.write(\\"%07d %s\\\\n\\" % (i, \\"y\\" * 32))\\n';
    assert.equal((await eio.post(srv.url, sid, `42["start_interactive",{"code":"${code}"}]`)).text, 'ok');
    // the program runs while nobody polls (heartbeats: answered by POSTs)
    for (let i = 0; i < 6; i++) {
      await sleep(500);
      assert.equal((await eio.post(srv.url, sid, '3')).text, 'ok', 'the session is alive');
    }
    const pkts = [];
    let first = null;
    while (!pkts.some((p) => p.startsWith('42["exit"'))) {
      const r = await eio.get(srv.url, sid);
      assert.equal(r.status, 200, r.text);
      if (first === null) first = r.text.length;
      pkts.push(...r.text.split('\x1e'));
      if (r.text.split('\x1e').includes('2')) await eio.post(srv.url, sid, '3');
    }
    assert.match(pkts.at(-1), /^42\["exit",\{"code":0,/);
    assert.ok(first < 1000000, `the first poll after the pause held ${first} bytes`);
    const out = pkts.filter((p) => p.startsWith('42["output"'))
      .map((p) => JSON.parse(p.slice(2))[1].data).join('');
    const lines = out.split('\n');
    lines.pop();
    assert.equal(lines.length, 200000);
    assert.equal(lines[199999], `0199999 ${'y'.repeat(32)}`);
    assert.equal((await eio.post(srv.url, sid, '1')).text, 'ok');
  });
});

describe('CORS and the same-origin rule', () => {
  test('a page from a listed origin gets CORS headers; a preflight is answered', async () => {
    const { res, sid } = await eio.handshake(srv.url, { Origin: ORIGIN_OK });
    assert.equal(res.headers['access-control-allow-origin'], ORIGIN_OK);
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers.vary, 'Origin');
    const pre = await request(eio.url(srv.url, `&sid=${sid}`), {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN_OK, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, x-custom' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], ORIGIN_OK);
    assert.match(pre.headers['access-control-allow-methods'], /POST/);
    // lws 4.1 cannot read Access-Control-Request-Headers: a fixed list
    assert.equal(pre.headers['access-control-allow-headers'], 'Content-Type, Authorization, X-Requested-With');
    const post = await eio.post(srv.url, sid, '1', { headers: { Origin: ORIGIN_OK } });
    assert.equal(post.headers['access-control-allow-origin'], ORIGIN_OK);
    const w = await eio.ws(srv.wsUrl, '', { origin: ORIGIN_OK });
    await w.next((f) => f.startsWith('0'));
    w.ws.close();
  });

  test('an origin too long for the headers gets no CORS lines, never a cut one', async () => {
    const own = await startServer({ webRoot: null, args: ['--cors-origin', '*'] });
    try {
      for (const n of [200, 240, 255]) {
        const origin = `http://${'a'.repeat(n - 7)}`;
        const pre = await request(eio.url(own.url), { method: 'OPTIONS', headers: { Origin: origin } });
        assert.equal(pre.status, 204, `${n}: ${pre.status}`);
        const acao = pre.headers['access-control-allow-origin'];
        assert.ok(acao === origin || acao === undefined, `${n}: ${acao}`);
        if (acao) assert.equal(pre.headers['access-control-allow-headers'], 'Content-Type, Authorization, X-Requested-With');
        const { res, sid } = await eio.handshake(own.url, { Origin: origin });
        assert.equal(res.headers['access-control-allow-origin'], origin);
        assert.equal((await eio.post(own.url, sid, '1', { headers: { Origin: origin } })).text, 'ok');
      }
    } finally { await own.stop(); }
  });

  test('a page from another origin is refused (403, code 4) on both transports; /ws too', async () => {
    const r = await request(eio.url(srv.url), { headers: { Origin: 'http://evil.example' } });
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, { code: 4, message: 'Forbidden' });
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    const ws = await eio.ws(srv.wsUrl, '', { origin: 'http://evil.example' }).then(() => null, (e) => e);
    assert.equal(ws?.status, 403);
    assert.equal(await rawUpgrade(srv.wsUrl + '/ws', { origin: 'http://evil.example' }, 'coderoom.v1'), 403,
      'the same-origin rule of /ws, which --cors-origin does not open');
    // same origin (Origin names the Host) and non-browsers are fine
    const same = await eio.handshake(srv.url, { Origin: srv.url });
    assert.equal(same.res.headers['access-control-allow-origin'], undefined);
    assert.equal((await eio.post(srv.url, same.sid, '1')).text, 'ok');
  });
});

test('mutated packets over both transports, joined sessions: every one refused or taken, none crashes', async () => {
  // valid packets of every kind, mutated by a seeded generator
  const seeds = ['40', '41', '42["send_input",{"input":"x"}]', '421["stop"]', '43["x"]',
    '42["join_session",{"session_id":"abcdefghij0123456789","name":"A"}]', '42["code_change",{"content":"y"}]',
    '42["start_interactive",{"code":"print(1)","language":"python"}]', '451-["x",{"_placeholder":true,"num":0}]',
    '3', '2probe', '5', '6', '1', '40/admin,{"a":1}', '44{"message":"x"}', '42["send_message",{"message":"hi"}]'];
  let state = 12345;
  const rand = (n) => { state = (state * 1103515245 + 12345) & 0x7fffffff; return state % n; };
  const mutate = (p) => {
    let b = [...Buffer.from(p)];
    for (let k = 1 + rand(3); k > 0; k--) {
      const i = rand(b.length + 1);
      switch (rand(5)) {
        case 0: b.splice(i, 1); break;
        case 1: b.splice(i, 0, rand(256)); break;
        case 2: if (i < b.length) b[i] = '[]{}",:0\\1e'.charCodeAt(rand(12)); break;
        case 3: b = b.slice(0, i); break;
        default: b.splice(i, 0, ...b.slice(0, rand(b.length + 1)));
      }
    }
    return Buffer.from(b);
  };
  for (let round = 0; round < 40; round++) {
    const w = await eio.ws(srv.wsUrl);
    await w.next((f) => f.startsWith('0'));
    w.ws.send('40');
    for (let i = 0; i < 8; i++) {
      const m = mutate(seeds[rand(seeds.length)]);
      if (rand(4) === 0) w.ws.send(m); else w.ws.send(m.toString('latin1'));
    }
    w.ws.close();
    const { sid } = await eio.handshake(srv.url);
    const body = Array.from({ length: 1 + rand(6) }, () => mutate(seeds[rand(seeds.length)]).toString('latin1')).join('\x1e');
    const r = await eio.post(srv.url, sid, '40\x1e' + body);
    assert.ok([200, 400].includes(r.status), `${r.status} ${r.text}`);
    // the client closes; a session the server was closing gets its "1"
    // in this last poll (else it would wait for one up to 30 s)
    await eio.post(srv.url, sid, '1');
    const last = await eio.get(srv.url, sid);
    assert.ok(last.status === 400 || last.text.endsWith('1'), `${last.status} ${last.text.slice(-80)}`);
  }
  const c = await SioClient.connect(srv.url, { transports: ['websocket'] });
  await c.run('print("alive")\n');
  await c.waitExit();
  assert.equal(c.out, 'alive\n');
  c.close();
});

test('nothing leaked: no session, no run, the server\'s fds back where they were', async () => {
  await waitSessions(0);
  await waitUntil(async () => (await sioStats(fast.url)).sessions === 0, { what: 'no sessions on the fast server' });
  await waitNoRuns(srv);
  const st = await sioStats();
  assert.ok(st.errors > 10, `protocol errors were counted: ${JSON.stringify(st)}`);
  const metrics = await (await fetch(`${srv.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`^coderoom_socketio_errors_total ${st.errors}$`, 'm'));
  assert.match(metrics, /^coderoom_socketio_sessions\{transport="polling"\} 0$/m);
  assert.match(metrics, new RegExp(`^coderoom_socketio_opened_total ${st.opened}$`, 'm'));
  if (fds0 === null) return;
  await waitUntil(() => serverFds(srv.pid) <= fds0 + 2, { timeout: 15000, what: `fds back to ${fds0}` })
    .catch(() => assert.fail(`the server holds ${serverFds(srv.pid)} fds, ${fds0} at the start`));
  // and it still serves
  const c = await SioClient.connect(srv.url, { transports: ['websocket'] });
  await c.run('print("still here")\n');
  await c.waitExit();
  assert.equal(c.out, 'still here\n');
  c.close();
});

/* The HTTP status a WebSocket upgrade gets (101 when it opens). */
function rawUpgrade(url, opts = {}, protocol = undefined) {
  return new Promise((resolve) => {
    const ws = protocol ? new WebSocket(url, protocol, opts) : new WebSocket(url, opts);
    ws.on('open', () => { ws.close(); resolve(101); });
    ws.on('unexpected-response', (req, res) => { resolve(res.statusCode); req.destroy(); });
    ws.on('error', () => resolve(0));
  });
}

/* Write raw bytes, read until the server has answered a response head (or closed). */
function rawHttp(port, text) {
  return new Promise((resolve) => {
    let got = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    const done = () => { s.destroy(); resolve(got); };
    s.on('data', (d) => { got += d; if (/\r\n\r\n/.test(got) && /(\}|\r\n\r\nok)$/.test(got)) done(); });
    s.on('close', done);
    s.on('error', done);
    setTimeout(done, 10000);
  });
}
