// clients.mjs - small clients for coderoom's protocols, for tests and benches.
//
//   CoderoomClient  /ws, subprotocol coderoom.v1: JSON control frames and
//                   binary terminal frames (type byte + payload)
//   ExecuteClient   /ws/execute, the seed-compatible JSON protocol
//   postJSON, getJSON, httpRequest   HTTP with the body parsed when it is JSON
//   rawTcp          write bytes to the port, collect what comes back
//   waitUntil, sleep, procsMatching  polling helpers
//
// Every wait has a timeout, and a timeout error says what did arrive, so a
// failing test shows the bytes instead of "timed out".
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import WebSocket from 'ws';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Poll fn() until it returns a truthy value; reject after timeout. */
export async function waitUntil(fn, { timeout = 10000, interval = 50, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(interval);
  }
}

/*
 * A base for clients that collect events and let tests wait on them.
 * Subclasses call this._push(event) for each arrival; waitFor(pred) checks
 * the past events first and then each new one.
 */
export class Collector {
  constructor() {
    this.events = [];	// every arrival, {kind, t, ...}
    this.waiters = [];	// {pred, resolve, reject, timer}
    this.closed = null;	// {code, reason} once closed
  }

  _push(ev) {
    ev.t = performance.now();
    this.events.push(ev);
    for (const w of [...this.waiters]) {
      let r;
      try { r = w.pred(ev, this); } catch (e) { this._settle(w, null, e); continue; }
      if (r) this._settle(w, r === true ? ev : r);
    }
  }

  _settle(w, value, err) {
    clearTimeout(w.timer);
    this.waiters = this.waiters.filter((x) => x !== w);
    if (err) w.reject(err); else w.resolve(value);
  }

  /*
   * Resolve with the first event (past or future) for which pred(ev, client)
   * is truthy (with pred's value when it is not `true`). Past events are
   * checked too; pass {since: index} to skip those before that index.
   */
  waitFor(pred, { timeout = 10000, what = 'event', since = 0 } = {}) {
    for (let i = since; i < this.events.length; i++) {
      const r = pred(this.events[i], this);
      if (r) return Promise.resolve(r === true ? this.events[i] : r);
    }
    return new Promise((resolve, reject) => {
      const w = { pred, resolve, reject };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timed out after ${timeout} ms waiting for ${what}; got:\n${this.describe()}`));
      }, timeout);
      this.waiters.push(w);
    });
  }

  /* Resolve when the socket closes: {code, reason}. */
  waitClose({ timeout = 10000 } = {}) {
    if (this.closed) return Promise.resolve(this.closed);
    return this.waitFor((e) => e.kind === 'close' && { code: e.code, reason: e.reason },
      { timeout, what: 'close' });
  }

  describe(max = 40) {
    const evs = this.events.slice(-max).map((e) => {
      if (e.kind === 'json') return `  json ${JSON.stringify(e.msg).slice(0, 300)}`;
      if (e.kind === 'binary') return `  bin[${e.type}] ${JSON.stringify(e.data.toString('latin1')).slice(0, 200)}`;
      if (e.kind === 'close') return `  close ${e.code} ${e.reason}`;
      return `  ${e.kind} ${JSON.stringify(e).slice(0, 300)}`;
    });
    return (this.events.length > max ? `  ... ${this.events.length - max} earlier\n` : '') + evs.join('\n');
  }
}

/* Open a WebSocket; onCreate(ws) runs before any event, so no frame is missed. */
function openSocket(url, protocols, opts, onCreate) {
  return new Promise((resolve, reject) => {
    const ws = protocols === undefined ? new WebSocket(url, opts) : new WebSocket(url, protocols, opts);
    onCreate(ws);
    const t = setTimeout(() => { ws.terminate(); reject(new Error(`connect to ${url} timed out`)); },
      opts.connectTimeout ?? 10000);
    ws.once('open', () => { clearTimeout(t); resolve(ws); });
    ws.once('error', (e) => { clearTimeout(t); reject(e); });
    ws.once('unexpected-response', (req, res) => {
      clearTimeout(t);
      reject(new Error(`${url}: HTTP ${res.statusCode} instead of a WebSocket upgrade`));
    });
  });
}

/*
 * A coderoom.v1 client. Binary frames are split by their first byte:
 * 0x01 -> this.stdout, 0x02 -> this.stderr (Buffers, all runs concatenated;
 * see outputSince()). JSON frames arrive as {kind:'json', msg}.
 */
export class CoderoomClient extends Collector {
  static async connect(base, { protocol = 'coderoom.v1', path = '/ws', hello = true, ...opts } = {}) {
    const c = new CoderoomClient();
    await openSocket(base + path, protocol === null ? undefined : protocol, opts, (ws) => c._attach(ws));
    if (hello) c.hello = (await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'hello',
      { what: 'hello', timeout: opts.helloTimeout ?? 10000 })).msg;
    return c;
  }

  _attach(ws) {
    this.ws = ws;
    this._streams = { 1: [], 2: [] };	// chunks, joined when read
    this.outChunks = [];	// [{t, data}] stdout arrivals, for timing
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const b = Buffer.isBuffer(data) ? data : Buffer.concat(data);
        const type = b.length ? b[0] : -1;
        const payload = b.subarray(1);
        if (type === 1 || type === 2) this._streams[type].push(payload);
        if (type === 1) this.outChunks.push({ t: performance.now(), data: payload });
        this._push({ kind: 'binary', type, data: payload });
      } else {
        let msg;
        try { msg = JSON.parse(data.toString()); } catch { msg = { type: '<not json>', raw: data.toString() }; }
        if (msg && (msg.type === 'attached' || msg.type === 'started')) this.runId = msg.run;
        this._push({ kind: 'json', msg });
      }
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this._push({ kind: 'close', code, reason: reason.toString() });
    });
    ws.on('error', (e) => this._push({ kind: 'wserror', message: e.message }));
  }

  /* Joined on reading, not on each arrival: a client taking megabytes in
   * thousands of frames must not copy all it has for each of them. */
  _joined(type) {
    const parts = this._streams[type];
    if (parts.length !== 1) parts.splice(0, parts.length, Buffer.concat(parts));
    return parts[0];
  }
  get stdout() { return this._joined(1); }
  get stderr() { return this._joined(2); }
  get out() { return this.stdout.toString('utf8'); }

  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }
  sendBinary(buf) { this.ws.send(buf, { binary: true }); }

  /* Start a run and resolve with the `started` message (or reject on error). */
  async run(code, { language = 'python', timeout = 15000, ...rest } = {}) {
    const since = this.events.length;
    this.send({ type: 'run', code, language, ...rest });
    const ev = await this.waitFor((e) => e.kind === 'json' && (e.msg.type === 'started' || e.msg.type === 'error'),
      { what: 'started', timeout, since });
    if (ev.msg.type === 'error') throw new Error(`run refused: ${JSON.stringify(ev.msg)}`);
    this.runId = ev.msg.run;
    return ev.msg;
  }

  /* Resolve with the next (or a past) message of this type, after index since. */
  waitType(type, opts = {}) {
    return this.waitFor((e) => e.kind === 'json' && e.msg.type === type && e.msg,
      { what: `"${type}"`, ...opts });
  }

  /* Resolve with the `exited` message. */
  waitExit(opts = {}) { return this.waitType('exited', { timeout: 20000, ...opts }); }

  /* Resolve when stdout (all of it so far) contains str / matches a RegExp. */
  waitOutput(m, opts = {}) {
    const test = (s) => (m instanceof RegExp ? m.test(s) : s.includes(m));
    if (test(this.out)) return Promise.resolve(this.out);
    return this.waitFor(() => test(this.out) && this.out,
      { what: `output ${m}`, ...opts });
  }

  input(data) { this.send({ type: 'input', data }); }
  stop() { this.send({ type: 'stop' }); }
  attach(run, extra = {}) { this.send({ type: 'attach', run, ...extra }); }

  /* The JSON messages received, in order. */
  get messages() { return this.events.filter((e) => e.kind === 'json').map((e) => e.msg); }

  /*
   * Close with code. A run of ours that has not exited is stopped first so
   * tests clean up after themselves; stopRun: false leaves it running (to
   * test reattach).
   */
  async close({ code = 1000, stopRun = true } = {}) {
    if (this.closed) return this.closed;
    if (stopRun && this.runId && !this.messages.some((m) => m.type === 'exited' && m.run === this.runId)) {
      try {
        this.stop();
        await this.waitFor((e) => e.kind === 'json' && e.msg.type === 'exited' && e.msg.run === this.runId,
          { timeout: 3000, what: 'exited after the stop in close()' });
      } catch { /* closing anyway */ }
    }
    if (this.closed) return this.closed;
    try { this.ws.close(code); } catch { /* ignore */ }
    return this.waitClose({ timeout: 5000 }).catch(() => { this.ws.terminate(); return { code: null }; });
  }

  terminate() { this.ws.terminate(); }
}

/* A /ws/execute client (seed protocol). */
export class ExecuteClient extends Collector {
  static async connect(base, opts = {}) {
    const c = new ExecuteClient();
    await openSocket(base + '/ws/execute', undefined, opts, (ws) => c._attach(ws));
    return c;
  }

  _attach(ws) {
    const c = this;
    c.ws = ws;
    c.stdout = '';
    c.stderr = '';
    ws.on('message', (data, isBinary) => {
      let msg;
      try { msg = JSON.parse(data.toString()); } catch { msg = { type: isBinary ? '<binary>' : '<not json>', raw: data.toString() }; }
      if (msg.type === 'output' && msg.stream === 'stdout') c.stdout += msg.data;
      if (msg.type === 'output' && msg.stream === 'stderr') c.stderr += msg.data;
      c._push({ kind: 'json', msg });
    });
    ws.on('close', (code, reason) => {
      c.closed = { code, reason: reason.toString() };
      c._push({ kind: 'close', code, reason: reason.toString() });
    });
    ws.on('error', (e) => c._push({ kind: 'wserror', message: e.message }));
  }

  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }
  execute(code, language) { this.send(language ? { type: 'execute', code, language } : { type: 'execute', code }); }
  waitType(type, opts = {}) {
    return this.waitFor((e) => e.kind === 'json' && e.msg.type === type && e.msg, { what: `"${type}"`, ...opts });
  }
  get messages() { return this.events.filter((e) => e.kind === 'json').map((e) => e.msg); }
  close() { try { this.ws.close(1000); } catch { /* ignore */ } }
  terminate() { this.ws.terminate(); }
}

/*
 * One HTTP request with node:http (so tests control the exact headers).
 * localAddress picks the source address (127.0.0.2 is another client to a
 * server on 127.0.0.1). Resolves with {status, headers, text, json (or
 * undefined)}.
 */
export function httpRequest(url, { method = 'GET', headers = {}, body, timeout = 15000, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false, localAddress }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { /* not json */ }
        resolve({ status: res.statusCode, headers: res.headers, body: buf, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeout, () => req.destroy(new Error(`${method} ${url} timed out after ${timeout} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.end(body); else req.end();
  });
}

/* POST a JSON value (or a raw string body) with a Content-Length. */
export function postJSON(url, value, { headers = {}, timeout, localAddress } = {}) {
  const body = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  return httpRequest(url, {
    method: 'POST', timeout, body, localAddress,
    headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, ...headers },
  });
}

export function getJSON(url, opts = {}) { return httpRequest(url, opts); }

/*
 * Open a TCP connection, write each chunk of `writes`, then collect what the
 * server sends until it closes or `timeout` ms pass. Resolves with
 * {data: Buffer, closedByServer: bool}.
 */
export function rawTcp(port, writes, { timeout = 3000, end = false } = {}) {
  return new Promise((resolve) => {
    const chunks = [];
    let done = false;
    const s = net.connect(port, '127.0.0.1');
    const finish = (closedByServer) => {
      if (done) return;
      done = true;
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closedByServer });
    };
    s.on('connect', () => {
      for (const w of writes) s.write(w);
      if (end) s.end();
    });
    s.on('data', (c) => chunks.push(c));
    s.on('end', () => finish(true));
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
    setTimeout(() => finish(false), timeout);
  });
}

/* Host pids whose command line contains marker (excluding this process). */
export function procsMatching(marker) {
  const found = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    let cmd;
    try { cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'latin1'); } catch { continue; }
    if (cmd.includes(marker)) found.push({ pid: Number(d), cmd: cmd.replace(/\0/g, ' ').trim() });
  }
  return found;
}

/* GET /api/health and return the parsed body. */
export async function health(base) {
  const r = await httpRequest(base + '/api/health');
  if (r.status !== 200 || !r.json) throw new Error(`/api/health: ${r.status} ${r.text.slice(0, 200)}`);
  return r.json;
}

/* Wait until /api/health says no run is active. 'srv' is a base URL, or a
 * server from startServer(): then a timeout also says what the server
 * logged last (less the health requests of this wait), so a run that
 * never ends can be read from the failure. */
export function waitNoRuns(srv, timeout = 10000) {
  const base = typeof srv === 'string' ? srv : srv.url;
  let last;
  return waitUntil(async () => {
    last = await health(base);
    return last.runs_active === 0;
  }, { timeout, what: 'runs_active == 0' }).catch((e) => {
    const logs = typeof srv?.logs === 'function'
      ? `; the server's last log lines (but this wait's):\n${srv.logs().split('\n')
        .filter((l) => !l.includes('GET /api/health')).slice(-40).join('\n')}` : '';
    throw new Error(`${e.message}; last health: ${JSON.stringify(last)}${logs}`);
  });
}

/* A unique marker for this test process. */
let seq = 0;
export function marker(prefix = 'mk') {
  return `${prefix}${process.pid}x${Date.now().toString(36)}x${seq++}`;
}

/*
 * Connect a fresh /ws client, run code to the end, close. Resolves with
 * {out (stdout text), exited (the message), client}.
 */
export async function runOnce(base, code, { timeout = 20000, ...runOpts } = {}) {
  const c = await CoderoomClient.connect(base);
  try {
    await c.run(code, runOpts);
    const exited = await c.waitExit({ timeout });
    return { out: c.out, exited, client: c };
  } finally {
    await c.close();
  }
}

/* The server still runs programs for a new client: print a token, get it back. */
export async function assertServerWorks(base, what = 'after the previous step') {
  const tok = marker('alive');
  let r;
  try {
    r = await runOnce(base, `print('${tok}')\n`, { timeout: 15000 });
  } catch (e) {
    throw new Error(`a fresh client cannot run a program ${what}: ${e.message}`);
  }
  if (!r.out.includes(tok) || r.exited.status !== 'ok') {
    throw new Error(`a fresh client's run ${what} gave ${JSON.stringify(r.out)} / ${JSON.stringify(r.exited)}`);
  }
}

/* VmRSS / VmHWM of a host pid, in bytes (null when gone). */
export function procMem(pid) {
  let s;
  try { s = fs.readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { return null; }
  const kb = (k) => { const m = new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s); return m ? Number(m[1]) * 1024 : null; };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}
