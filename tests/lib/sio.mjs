// sio.mjs - Socket.IO clients for tests: the official socket.io-client,
// and raw Engine.IO requests for what the official client never sends.
//
//   SioClient      socket.io-client with every event collected (waitFor)
//                  and the runner's events as helpers (run, input, stop,
//                  waitExit, output text by stream)
//   TRANSPORTS     the client's modes the tests run in: default (polling,
//                  then the upgrade to WebSocket), polling only, WebSocket only
//   eio            raw long-polling: handshake, get, post (node:http, exact
//                  headers), and raw WebSockets
//   serverFds      the open file descriptors of a server process
//
// Every wait has a timeout, and a timeout error says what did arrive.
import fs from 'node:fs';
import http from 'node:http';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { Collector, sleep } from './clients.mjs';

export const TRANSPORTS = [
  { name: 'polling then websocket', opts: {}, final: 'websocket' },
  { name: 'polling only', opts: { transports: ['polling'] }, final: 'polling' },
  { name: 'websocket only', opts: { transports: ['websocket'] }, final: 'websocket' },
];

export class SioClient extends Collector {
  /*
   * Connect with socket.io-client and wait for the server's "connected"
   * event. opts go to io() (reconnection is off unless asked for).
   */
  static async connect(base, { timeout = 15000, waitConnected = true, ...opts } = {}) {
    const c = new SioClient();
    c.sock = io(base, { reconnection: false, forceNew: true, ...opts });
    c.sock.onAny((event, ...args) => c._push({ kind: 'event', event, args, data: args[0] }));
    c.sock.on('connect', () => c._push({ kind: 'connect', id: c.sock.id }));
    c.sock.on('disconnect', (reason) => c._push({ kind: 'disconnect', reason }));
    c.sock.on('connect_error', (err) => c._push({ kind: 'connect_error', message: err.message, data: err.data }));
    c.sock.io.on('reconnect', (n) => c._push({ kind: 'reconnect', attempts: n }));
    if (waitConnected) c.connected = (await c.waitEvent('connected', { timeout })).data;
    return c;
  }

  get transport() { return this.sock.io.engine?.transport?.name; }

  /* Resolve when the engine runs on 'name' (the upgrade is asynchronous). */
  async waitTransport(name, { timeout = 15000 } = {}) {
    const end = Date.now() + timeout;
    while (this.transport !== name) {
      if (Date.now() > end) throw new Error(`transport is ${this.transport}, not ${name}, after ${timeout} ms`);
      await sleep(20);
    }
  }

  emit(event, ...args) { this.sock.emit(event, ...args); }

  /* Emit asking for an ack; resolves with the ack's first argument. */
  call(event, payload, { timeout = 15000 } = {}) {
    return this.sock.timeout(timeout).emitWithAck(event, payload);
  }

  waitEvent(event, { since = 0, timeout = 15000, pred = () => true } = {}) {
    return this.waitFor((e) => e.kind === 'event' && e.event === event && pred(e.data, e),
      { since, timeout, what: `event '${event}'` });
  }

  /* Start a program; resolves with the 'started' payload. */
  async run(code, language) {
    this.runStart = this.events.length;
    const payload = language === undefined ? { code } : { code, language };
    this.emit('start_interactive', payload);
    const first = await this.waitFor((e) => e.kind === 'event' && (e.event === 'started' || e.event === 'error'),
      { since: this.runStart, timeout: 30000, what: 'started or error' });
    if (first.event === 'error') throw new Error(`start_interactive refused: ${first.data.message}`);
    return first.data;
  }

  /* Output text of one stream ('stdout', 'stderr') since the last run(). */
  output(stream = 'stdout', since = this.runStart ?? 0) {
    return this.events.slice(since)
      .filter((e) => e.kind === 'event' && e.event === 'output' && e.data.stream === stream)
      .map((e) => e.data.data).join('');
  }

  get out() { return this.output('stdout'); }
  get err() { return this.output('stderr'); }

  waitOutput(pattern, { timeout = 15000, stream = 'stdout' } = {}) {
    const ok = () => (typeof pattern === 'string' ? this.output(stream).includes(pattern)
      : pattern.test(this.output(stream)));
    return this.waitFor(() => ok(), { since: this.events.length, timeout, what: `output ${pattern}` })
      .catch((e) => { if (ok()) return true; throw e; });
  }

  waitExit({ timeout = 30000 } = {}) {
    return this.waitEvent('exit', { since: this.runStart ?? 0, timeout }).then((e) => e.data);
  }

  describe(max = 40) {
    return this.events.slice(-max).map((e) => `  ${e.kind} ${JSON.stringify(e.kind === 'event' ? [e.event, ...e.args] : e).slice(0, 300)}`).join('\n');
  }

  close() {
    this.sock.close();
  }
}

/* ---- raw Engine.IO */

/* One request with exact headers; {status, headers, text, json}. */
export function request(url, { method = 'GET', headers = {}, body, timeout = 30000, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (body !== undefined && h['Content-Length'] === undefined) h['Content-Length'] = Buffer.byteLength(body);
    const req = http.request(url, { method, headers: h, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeout, () => req.destroy(new Error(`${method} ${url} timed out after ${timeout} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.end(body); else req.end();
  });
}

export const eio = {
  url(base, query = '') { return `${base}/socket.io/?EIO=4&transport=polling${query}`; },

  /* A polling handshake: {sid, open (the parsed open packet), res}. */
  async handshake(base, headers = {}) {
    const res = await request(eio.url(base), { headers });
    if (res.status !== 200 || res.text[0] !== '0') throw new Error(`handshake: ${res.status} ${res.text}`);
    const open = JSON.parse(res.text.slice(1));
    return { sid: open.sid, open, res };
  },

  get(base, sid, opts = {}) { return request(eio.url(base, `&sid=${sid}`), opts); },

  post(base, sid, body, { headers = {}, ...opts } = {}) {
    return request(eio.url(base, `&sid=${sid}`), {
      method: 'POST', body, headers: { 'Content-Type': 'text/plain;charset=UTF-8', ...headers }, ...opts,
    });
  },

  /* Poll until the packets include one starting with 'prefix'; returns every packet seen. */
  async pollUntil(base, sid, prefix, { max = 20 } = {}) {
    const seen = [];
    for (let i = 0; i < max; i++) {
      const r = await eio.get(base, sid);
      if (r.status !== 200) throw new Error(`poll: ${r.status} ${r.text}; seen ${JSON.stringify(seen)}`);
      const pkts = r.text.split('\x1e');
      seen.push(...pkts);
      if (pkts.some((p) => p.startsWith(prefix))) return seen;
    }
    throw new Error(`no packet starting with ${JSON.stringify(prefix)} in ${max} polls: ${JSON.stringify(seen)}`);
  },

  /*
   * A raw WebSocket on /socket.io/ (query appended); resolves with
   * {ws, frames (strings, as they come), closed (a promise of {code, reason})}.
   */
  ws(wsBase, query = '', opts = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${wsBase}/socket.io/?EIO=4&transport=websocket${query}`, opts);
      const frames = [];
      const waiters = [];
      const closed = new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: String(reason) })));
      ws.on('message', (m, binary) => {
        frames.push(binary ? m : String(m));
        for (const w of [...waiters]) if (w.check()) waiters.splice(waiters.indexOf(w), 1);
      });
      const next = (pred, timeout = 15000) => new Promise((res, rej) => {
        const w = {
          check: () => {
            const f = frames.find(pred);
            if (f === undefined) return false;
            clearTimeout(w.t); res(f); return true;
          },
        };
        if (w.check()) return;
        w.t = setTimeout(() => rej(new Error(`no such frame in ${timeout} ms; got ${JSON.stringify(frames.slice(-20))}`)), timeout);
        waiters.push(w);
      });
      ws.on('open', () => resolve({ ws, frames, closed, next }));
      ws.on('unexpected-response', (req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.on('error', reject);
    });
  },
};

/* The open file descriptors of a process (null when unreadable). */
export function serverFds(pid) {
  try { return fs.readdirSync(`/proc/${pid}/fd`).length; } catch { return null; }
}
