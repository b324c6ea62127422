// connection.js - the /ws socket (subprotocol coderoom.v1) with automatic
// reconnect: exponential backoff with jitter, capped; a ping keepalive that
// notices a dead link; state events for the connection indicator.
//
// States: 'connecting' (first attempt), 'connected' (hello received),
// 'reconnecting' (lost, retrying; detail = ms until the next try),
// 'offline' (the browser says it is offline, or many tries failed in a row;
// still retrying at the capped interval).

const PROTOCOL = 'coderoom.v1';
const BACKOFF_MIN = 500;
const BACKOFF_MAX = 15000;
const OFFLINE_AFTER = 6; // failed attempts in a row
const PING_EVERY = 20000;
const PONG_TIMEOUT = 10000;

export class Connection {
  constructor(url, { onState, onHello, onMessage, onBinary }) {
    this.url = url;
    this.onState = onState;
    this.onHello = onHello;
    this.onMessage = onMessage;
    this.onBinary = onBinary;
    this.ws = null;
    this.state = 'connecting';
    this.failures = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.ready = false; // hello received on the current socket
    this.rtt = null;
    window.addEventListener('online', () => this.retryNow());
    // The browser says the network is gone: the socket is as good as dead
    // (it may take a ping timeout to notice). Say so now and retry when the
    // network is back ('online' above).
    window.addEventListener('offline', () => {
      if (this.ws) this.drop();
      else this.setState('offline');
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && !this.ws) this.retryNow();
    });
  }

  setState(state, detail) {
    this.state = state;
    this.onState(state, detail);
  }

  start() { this.open(); }

  open() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    let ws;
    try {
      ws = new WebSocket(this.url, PROTOCOL);
    } catch (e) {
      this.scheduleRetry();
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.ready = false;
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      if (typeof ev.data === 'string') {
        let msg;
        try { msg = JSON.parse(ev.data); } catch { console.warn('coderoom: bad JSON from server', ev.data); return; }
        if (!msg || typeof msg !== 'object') return;
        if (msg.type === 'hello') {
          this.ready = true;
          this.failures = 0;
          this.setState('connected');
          this.startPing();
          this.onHello(msg);
        } else if (msg.type === 'pong') {
          if (typeof msg.t === 'number') this.rtt = Math.max(0, performance.now() - msg.t);
          clearTimeout(this.pongTimer);
          this.pongTimer = null;
          this.onState(this.state);
        } else {
          this.onMessage(msg);
        }
      } else {
        this.onBinary(new Uint8Array(ev.data));
      }
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      const wasReady = this.ready;
      this.ready = false;
      this.stopPing();
      if (!wasReady) this.failures++;
      this.onClosed(ev, wasReady);
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  onClosed(ev, wasReady) {
    this.scheduleRetry(wasReady);
  }

  scheduleRetry(immediateFirst = false) {
    clearTimeout(this.retryTimer);
    const n = Math.max(0, this.failures - 1);
    let delay = immediateFirst ? 250 : Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** n);
    delay = Math.round(delay * (0.8 + Math.random() * 0.4));
    const offline = navigator.onLine === false || this.failures >= OFFLINE_AFTER;
    this.setState(offline ? 'offline' : 'reconnecting', { retryAt: Date.now() + delay });
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  retryNow() {
    if (this.ws) return;
    clearTimeout(this.retryTimer);
    this.setState('reconnecting', { retryAt: Date.now() });
    this.open();
  }

  startPing() {
    this.stopPing();
    const ping = () => {
      if (!this.ready) return;
      this.sendJSON({ type: 'ping', t: performance.now() });
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => {
        // No answer: the link is dead even if the socket has not noticed.
        console.warn('coderoom: no pong, reconnecting');
        this.drop();
      }, PONG_TIMEOUT);
    };
    this.pingTimer = setInterval(ping, PING_EVERY);
    ping();
  }

  stopPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = this.pongTimer = null;
  }

  // Abandons the current socket and reconnects.
  drop() {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    this.ready = false;
    this.stopPing();
    try { ws.close(4000, 'client reconnect'); } catch { /* ignore */ }
    this.scheduleRetry(true);
  }

  get connected() { return this.ready && this.ws && this.ws.readyState === WebSocket.OPEN; }

  sendJSON(obj) { return this.sendText(JSON.stringify(obj)); }

  sendText(text) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(text);
    return true;
  }

  sendBinary(bytes) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(bytes);
    return true;
  }
}

/*
 * The /ws URL of this page's server. A server with API tokens wants one:
 * open the IDE as /#token=TOKEN (or /?token=TOKEN); the token is kept for
 * this tab and sent as the WebSocket's "token" query argument (a browser
 * cannot set headers on a WebSocket).
 */
export function defaultUrl() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const from = new URLSearchParams(location.hash.slice(1)).get('token') ||
    new URLSearchParams(location.search).get('token');
  let token = null;
  try {
    if (from) sessionStorage.setItem('coderoom.token', from);
    token = sessionStorage.getItem('coderoom.token');
  } catch { token = from; }
  const q = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${proto}//${location.host}/ws${q}`;
}
