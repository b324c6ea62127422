// sio-codec.test.mjs - coderoom's Engine.IO / Socket.IO codecs held against
// the parsers the official client itself uses (socket.io-parser,
// engine.io-parser, both from socket.io-client 4.x): what the client's
// encoder writes, we decode; what we write back, the client's decoder reads
// as the same packet; what the client's decoder refuses, we refuse; and the
// packets we refuse although the reference takes them are exactly the
// documented ones (docs/socketio.md).
//
// The codecs are reached through build/tests/sio_pipe (tests/lib/sio_pipe.c,
// built by `make unit`): JSON lines in, JSON lines out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Encoder, Decoder, PacketType } from 'socket.io-parser';
import { encodePayload, decodePayload, decodePacket } from 'engine.io-parser';
import { serverBinary } from '../lib/server.mjs';

// next to the binary under test: build/tests/sio_pipe
const bin = path.join(path.dirname(serverBinary()), 'tests', 'sio_pipe');
const skip = existsSync(bin) ? false : `${bin} not built (make unit)`;

let pipe, lines, waiting = [];
before(() => {
  if (skip) return;
  pipe = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  lines = readline.createInterface({ input: pipe.stdout });
  lines.on('line', (l) => waiting.shift()(JSON.parse(l)));
});
after(() => { if (pipe) pipe.stdin.end(); });

function ask(req) {
  return new Promise((resolve) => {
    waiting.push(resolve);
    pipe.stdin.write(JSON.stringify(req) + '\n');
  });
}

function clientEncode(packet) {
  return new Encoder().encode(packet);
}

function clientDecode(str) {
  const d = new Decoder();
  let out;
  d.on('decoded', (p) => { out = p; });
  d.add(str);
  return out;
}

// A deterministic generator of JSON values the apps could send: unicode
// (also outside the BMP), U+0000, control characters, quotes, big and
// small numbers, nesting.
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}
const pieces = ['a', 'Z', ' ', 'é', '€', '😀', '\u0000', '\n', '\t', '"', '\\',
  '/', '\u001e', '\u007f', '\u2028', 'print("hi")', '{', ']', ','];
const numbers = [0, -1, 42, 2 ** 31, -(2 ** 53 - 1), 2 ** 53 - 1, 2 ** 60, 0.1,
  -1.5e-7, 1e21, 3.141592653589793, 123456.789];
function value(r, depth) {
  const k = Math.floor(r() * (depth > 3 ? 5 : 7));
  if (k === 0) return null;
  if (k === 1) return r() < 0.5;
  if (k === 2) return numbers[Math.floor(r() * numbers.length)];
  if (k === 3 || k === 4) {
    let s = '';
    for (let i = Math.floor(r() * 6); i > 0; i--) s += pieces[Math.floor(r() * pieces.length)];
    return s;
  }
  if (k === 5) {
    const a = [];
    for (let i = Math.floor(r() * 4); i > 0; i--) a.push(value(r, depth + 1));
    return a;
  }
  const o = {};
  // (no U+0000 in keys: jansson cannot hold one, a documented refusal)
  for (let i = Math.floor(r() * 4); i > 0; i--) {
    o[String(value(r, 9)).replaceAll('\u0000', '0') + String(i)] = value(r, depth + 1);
  }
  return o;
}

function packets() {
  const r = rng(20240601);
  const out = [
    { type: PacketType.CONNECT, nsp: '/' },
    { type: PacketType.CONNECT, nsp: '/admin', data: { token: '123' } },
    { type: PacketType.EVENT, nsp: '/', data: ['run', { code: 'print("héllo")\n', language: 'python' }] },
    { type: PacketType.EVENT, nsp: '/', id: 0, data: ['input', 'a\u0000b\r'] },
    { type: PacketType.ACK, nsp: '/x', id: 7, data: [] },
    { type: PacketType.DISCONNECT, nsp: '/admin' },
    { type: PacketType.CONNECT_ERROR, nsp: '/', data: { message: 'nope', data: { a: 1 } } },
  ];
  const names = ['output', 'run', 'stop', 'chat message', 'é', '😀', 'a/b,c'];
  const spaces = ['/', '/', '/admin', '/é', '/a-b_c.d'];
  for (let i = 0; i < 300; i++) {
    const nsp = spaces[Math.floor(r() * spaces.length)];
    const args = [];
    for (let k = Math.floor(r() * 4); k > 0; k--) args.push(value(r, 0));
    const p = r() < 0.7
      ? { type: PacketType.EVENT, nsp, data: [names[Math.floor(r() * names.length)], ...args] }
      : { type: PacketType.ACK, nsp, data: args };
    if (p.type === PacketType.ACK || r() < 0.5) p.id = Math.floor(r() * 2 ** (r() * 53));
    out.push(p);
  }
  return out;
}

test('what the client encodes, we decode; what we encode back, the client reads the same', { skip }, async () => {
  let n = 0;
  for (const p of packets()) {
    const [wire] = clientEncode(p);
    const res = await ask({ op: 'sio', data: wire });
    assert.equal(res.ok, true, `refused ${JSON.stringify(wire)}: ${res.error}`);
    assert.equal(res.type, p.type);
    assert.equal(res.nsp, p.nsp);
    assert.equal(res.id, p.id ?? null);
    assert.deepEqual(clientDecode(res.out), clientDecode(wire), wire);
    n++;
  }
  assert.ok(n > 300);
});

test('our encoders write what the client expects', { skip }, async () => {
  const cases = [
    [{ op: 'connect', nsp: '/', sid: 'wZX3oN0bSVIhsaknAAAI' },
      { type: PacketType.CONNECT, nsp: '/', data: { sid: 'wZX3oN0bSVIhsaknAAAI' } }],
    [{ op: 'connect', nsp: '/admin', sid: 'x' },
      { type: PacketType.CONNECT, nsp: '/admin', data: { sid: 'x' } }],
    [{ op: 'connect_error', nsp: '/random', message: 'Invalid namespace' },
      { type: PacketType.CONNECT_ERROR, nsp: '/random', data: { message: 'Invalid namespace' } }],
    [{ op: 'connect_error', nsp: '/', message: 'busy', data: { retry: 5 } },
      { type: PacketType.CONNECT_ERROR, nsp: '/', data: { message: 'busy', data: { retry: 5 } } }],
    [{ op: 'disconnect', nsp: '/admin' }, { type: PacketType.DISCONNECT, nsp: '/admin' }],
    [{ op: 'event', nsp: '/', event: 'output', args: ['hé\u0000llo\n', 3] },
      { type: PacketType.EVENT, nsp: '/', data: ['output', 'hé\u0000llo\n', 3] }],
    [{ op: 'event', nsp: '/x', id: 12, event: 'ask', args: [] },
      { type: PacketType.EVENT, nsp: '/x', id: 12, data: ['ask'] }],
    [{ op: 'ack', nsp: '/', id: 0 }, { type: PacketType.ACK, nsp: '/', id: 0, data: [] }],
    [{ op: 'ack', nsp: '/', id: 2 ** 53 - 1, args: [{ ok: true }] },
      { type: PacketType.ACK, nsp: '/', id: 2 ** 53 - 1, data: [{ ok: true }] }],
  ];
  for (const [req, want] of cases) {
    const res = await ask(req);
    assert.equal(res.ok, true, JSON.stringify(req));
    assert.deepEqual(clientDecode(res.out), want, res.out);
  }
  // the open packet, as the client's engine reads it
  const hs = await ask({ op: 'handshake', sid: 'lv_VI97HAXpY6yYWAAAC', upgrade: true,
    interval: 25000, timeout: 20000, max: 1000000 });
  const open = decodePacket(hs.out);
  assert.equal(open.type, 'open');
  assert.deepEqual(JSON.parse(open.data), { sid: 'lv_VI97HAXpY6yYWAAAC', upgrades: ['websocket'],
    pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000 });
});

test('what the client refuses, we refuse', { skip }, async () => {
  const bad = ['abc', '7', '2{}', '2abc["x"]', '2[]', '2["connect"]',
    '2["disconnect",1]', '0[]', '0"x"', '1{}', '2["x"', '2["x"]junk', '5["x"]',
    '50-["x"]', '511-["x"]', '4[1]'];
  for (const s of bad) {
    assert.throws(() => clientDecode(s), undefined, `the client takes ${JSON.stringify(s)}`);
    const res = await ask({ op: 'sio', data: s });
    assert.equal(res.ok, false, `we take ${JSON.stringify(s)}`);
  }
});

test('we refuse these although the client takes them (documented)', { skip }, async () => {
  const ours = {
    '': 'EINVAL', // the client reads it as CONNECT
    '4': 'EINVAL', // CONNECT_ERROR without payload
    '2[1]': 'EINVAL', // numeric event name
    '2': 'EINVAL', // EVENT without payload
    '2/admin,': 'EINVAL',
    '3["x"]': 'EINVAL', // ACK without id
    '1/admin,5': 'EINVAL', // ack id on DISCONNECT
    '05{}': 'EINVAL',
    '29007199254740992["x"]': 'EINVAL', // id past 2^53-1
    '2["\\ud800"]': 'EINVAL', // lone surrogate
    '2["x",1e400]': 'EINVAL', // a number jansson cannot hold
    '2["x",123456789012345678901234567890]': 'EINVAL', // integer past int64
    '0/a\u0001b,': 'EINVAL', // control character in a namespace
    '2["a\\u0000b"]': 'EINVAL', // U+0000 in the event name
    '2["x",{"a\\u0000b":1}]': 'EINVAL', // U+0000 in an object key
  };
  for (const [s, code] of Object.entries(ours)) {
    assert.doesNotThrow(() => clientDecode(s), `the client refuses ${JSON.stringify(s)}`);
    const res = await ask({ op: 'sio', data: s });
    assert.equal(res.ok, false, `we take ${JSON.stringify(s)}`);
    assert.equal(res.code, code, s);
  }
});

test('binary attachments: the client sends them, we refuse them with ENOTSUP', { skip }, async () => {
  const wire = clientEncode({ type: PacketType.EVENT, nsp: '/', id: 3,
    data: ['upload', Buffer.from([1, 2, 3])] });
  assert.equal(wire.length, 2);
  assert.equal(wire[0], '51-3["upload",{"_placeholder":true,"num":0}]');
  const res = await ask({ op: 'sio', data: wire[0] });
  assert.equal(res.ok, false);
  assert.equal(res.code, 'ENOTSUP');
});

test('polling payloads: the client\'s bodies decode, ours decode in the client', { skip }, async () => {
  const r = rng(7);
  const cases = [
    [{ type: 'message', data: 'hello' }, { type: 'ping' }, { type: 'message', data: 'world' }],
    [{ type: 'message', data: 'hello' }, { type: 'message', data: Buffer.from([1, 2, 3, 4]) }],
    [{ type: 'pong' }], [{ type: 'close' }], [{ type: 'upgrade' }, { type: 'noop' }],
    [{ type: 'message', data: '' }], [{ type: 'message', data: Buffer.alloc(0) }],
  ];
  for (let i = 0; i < 100; i++) {
    const c = [];
    for (let k = 1 + Math.floor(r() * 5); k > 0; k--) {
      if (r() < 0.3) {
        c.push({ type: 'message', data: Buffer.from(Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 256))) });
      } else {
        // Socket.IO text as the client writes it (JSON: no raw 0x1e)
        c.push({ type: 'message', data: '2' + JSON.stringify(['ev', value(r, 0)]) });
      }
    }
    cases.push(c);
  }
  for (const c of cases) {
    const body = await new Promise((resolve) => encodePayload(c, resolve));
    const res = await ask({ op: 'eio', data: body });
    assert.equal(res.ok, true, `refused ${JSON.stringify(body)}: ${res.error}`);
    assert.deepEqual(decodePayload(res.out, 'nodebuffer'), decodePayload(body, 'nodebuffer'));
  }
  // a body the client's parser refuses, we refuse
  for (const body of ['', 'x', '4a\u001e\u001e4b', '9']) {
    assert.ok(decodePayload(body).some((p) => p.type === 'error'), body);
    const res = await ask({ op: 'eio', data: body });
    assert.equal(res.ok, false, body);
  }
});
