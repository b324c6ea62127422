// room-client.mjs - a room member built on the real @codemirror/collab and
// @codemirror/state, speaking coderoom's room protocol over /ws: the loop
// the IDE runs, without the view.
//
//   const p = await RoomPeer.join(server.wsUrl, roomId, 'Ada', {token});
//   p.edit({from: 0, insert: 'hi'});   // a local edit
//   p.push();                          // send sendableUpdates()
//   await p.settle(serverVersion)      // until confirmed and caught up
//
// It follows docs/protocol.md's rules, which are @codemirror/collab's:
//  - one push in flight, of at most limits.push_updates updates: push() does nothing until the answer (an updates
//    message confirming some of ours, an error, a resync, a reconnect);
//  - updates with from == my version go to receiveUpdates(); from > my
//    version: pull; older ones: keep only what I lack;
//  - no answer for a while: pull (its answer shows whether the push
//    landed), then push what is still unconfirmed;
//  - resync: a fresh document; the unsent text is kept in this.drafts.
// Test knobs: hold()/release() delay what arrives (a slow link: its pushes
// arrive at a stale version), pushDuplicate() sends the push in flight a
// second time (a re-send), drop() cuts the connection without a close.
//
// The pieces a per-file peer (room-files-client.mjs) uses as well are
// exported: connectPeer(), sendJoin(), collabState(), receiveBatches().
import { ChangeSet, EditorState } from '@codemirror/state';
import { collab, getClientID, getSyncedVersion, receiveUpdates, sendableUpdates } from '@codemirror/collab';
import { CoderoomClient, waitUntil } from './clients.mjs';

/* Connects to base; every text message goes to onMessage, from the first
 * (the caller keeps the client before it joins: messages may come along
 * with the joined one). */
export async function connectPeer(base, onMessage) {
  const c = await CoderoomClient.connect(base);
  c.ws.on('message', (data, isBinary) => { if (!isBinary) onMessage(JSON.parse(data.toString())); });
  return c;
}

/* Sends the join message 'join' on c and resolves with the joined message;
 * a refused join throws. */
export async function sendJoin(c, join) {
  const since = c.events.length;
  c.send(join);
  const ev = await c.waitFor((e) => e.kind === 'json' && (e.msg.type === 'joined' || e.msg.type === 'error'),
    { since, what: 'joined' });
  if (ev.msg.type === 'error') throw new Error(`join refused: ${JSON.stringify(ev.msg)}`);
  return ev.msg;
}

/* A fresh collab state for a document { text, version } from the server. */
export function collabState(doc) {
  return EditorState.create({ doc: doc.text, extensions: [collab({ startVersion: doc.version })] });
}

/* Updates messages in order -> one receiveUpdates() call: returns the new
 * state. Older updates are skipped; at a message past the state's version
 * it calls onGap() (while the caller still holds the old state) and stops. */
export function receiveBatches(state, batches, onGap) {
  let v = getSyncedVersion(state);
  const fresh = [];
  for (const b of batches) {
    const end = b.from + b.updates.length;
    if (b.from > v) { onGap(); break; }
    if (end <= v) continue;
    fresh.push(...b.updates.slice(v - b.from));
    v = end;
  }
  if (!fresh.length) return state;
  return receiveUpdates(state, fresh.map((u) => ({
    clientID: u.clientID, changes: ChangeSet.fromJSON(u.changes),
  }))).state;
}

export class RoomPeer {
  static async join(base, room, name, { token } = {}) {
    const p = new RoomPeer();
    p.base = base;
    p.room = room;
    p.name = name;
    p.drafts = [];
    p.errors = [];
    p.resyncs = 0;
    await p._connect(token, false);
    return p;
  }

  async _connect(token, keepState) {
    this.c = await connectPeer(this.base, (m) => this._onMessage(m));
    const joined = await sendJoin(this.c, { type: 'join', room: this.room, name: this.name, ...(token ? { token } : {}) });
    this.joined = joined;
    this.token = joined.token;
    this.id = joined.you.id;
    if (!keepState) this._fresh(joined.doc);
    this.inflight = null;
    this.waiting = [];
    this.pulling = false;
    this.held = null;
  }

  _fresh(doc) { this.state = collabState(doc); }

  get text() { return this.state.doc.toString(); }
  get version() { return getSyncedVersion(this.state); }
  get pending() { return sendableUpdates(this.state).length; }
  get clientID() { return getClientID(this.state); }

  edit(spec) { this.state = this.state.update({ changes: spec }).state; }

  push() {
    const u = sendableUpdates(this.state).slice(0, this.joined.limits.push_updates);
    if (this.inflight || !u.length) return null;
    const msg = { type: 'push', version: this.version,
      updates: u.map((x) => ({ clientID: x.clientID, changes: x.changes.toJSON() })) };
    this.inflight = { msg, count: u.length, at: Date.now(), answers: 1 };
    this.c.send(msg);
    return msg;
  }

  /* Every push gets exactly one answer, a re-send too: wait for both. */
  pushDuplicate() {
    if (!this.inflight) return;
    this.inflight.answers++;
    this.c.send(this.inflight.msg);
  }

  /* One answer to a push came; true when none is outstanding any more. */
  _answered() {
    if (this.inflight && --this.inflight.answers > 0) return false;
    this.inflight = null;
    return true;
  }

  pull() {
    if (this.pulling) return;
    this.pulling = Date.now();
    this.c.send({ type: 'pull', version: this.version });
  }

  hold() { this.held = this.held || []; }
  release() {
    const h = this.held || [];
    this.held = null;
    for (const m of h) this._onMessage(m);
  }

  _onMessage(m) {
    if (this.held) { this.held.push(m); return; }
    if (m.type === 'updates') {
      if (m.pull) this.pulling = false;
      if (m.pull) this.inflight = null;   // answered after everything before it
      else if (m.push && this.inflight) this._answered();
      if (this.inflight) { this.waiting.push(m); return; }
      const batches = [...this.waiting, m];
      this.waiting = [];
      this._receive(batches);
    } else if (m.type === 'resync') {
      this.pulling = false;
      this.inflight = null;
      this.waiting = [];
      this.resyncs++;
      if (this.pending) this.drafts.push(this.text);
      this._fresh(m.doc);
    } else if (m.type === 'error') {
      if (m.field === 'pull') this.pulling = false;
      if (m.push && this._answered()) {  // refused: apply what waited
        const w = this.waiting;
        this.waiting = [];
        this._receive(w);
      }
      this.errors.push(m);
    }
  }

  /* Updates messages in order -> one receiveUpdates() call. */
  _receive(batches) { this.state = receiveBatches(this.state, batches, () => this.pull()); }

  /* Cuts the connection without a close frame, as a network would. */
  drop() { this.c.terminate(); }

  /* Comes back with its token, keeping its editor state (unsent edits). */
  async reconnect() {
    await this._connect(this.token, true);
    this.pull();
  }

  /* Pushes and pulls until nothing is unconfirmed and the version is the
   * server's (serverVersion: an async function). */
  async settle(serverVersion, { timeout = 30000 } = {}) {
    let sv = -1;
    await waitUntil(async () => {
      if (this.held) this.release();
      const now = Date.now();
      if (this.pulling && now - this.pulling > 1000) this.pulling = false;
      // no answer: pull; its answer (after whatever the push got) ends it
      if (this.inflight && now - this.inflight.at > 1000 && !this.pulling) { this.pull(); return false; }
      if (this.pending) { if (!this.pulling) this.push(); return false; }
      sv = await serverVersion();
      if (this.version < sv) this.pull();
      return this.version === sv && !this.pending;
    }, { timeout, interval: 20, what: `${this.name} settled` }).catch((e) => {
      throw new Error(`${e.message}: version ${this.version} (server ${sv}), ${this.pending} unconfirmed, ` +
        `push in flight ${JSON.stringify(this.inflight?.msg)?.slice(0, 200)}, pulling ${this.pulling}, last errors ` +
        `${JSON.stringify(this.errors.slice(-3))}\n${this.c.describe(8)}`);
    });
  }

  async close() { await this.c.close({ stopRun: false }); }
}
