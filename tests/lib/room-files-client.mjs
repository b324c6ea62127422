// room-files-client.mjs - a room member that shares every file of a room:
// one /ws connection joined with "files": true, and for each file its own
// @codemirror/collab state and push loop (the real @codemirror/collab and
// @codemirror/state), routed by the "file" field of the room messages.
//
//   const p = await FilesPeer.join(server.wsUrl, roomId, 'Ada');
//   p.send({type: 'file_add', name: 'util.py', text: ''}); await p.waitFile('util.py');
//   p.edit(fileId, {from: 0, insert: 'hi'}); p.push(fileId);
//   await p.settle(() => serverVersions());   // every file confirmed and caught up
//
// Each file follows docs/protocol.md's collab rules, as room-client.mjs
// does for one: one push in flight per file, updates held while it is and
// given to receiveUpdates() in one call with the answer; from > my
// version: pull; a resync replaces the file's state (unsent text kept in
// this.drafts). hold()/release() delay what arrives (a slow link).
import { getSyncedVersion, sendableUpdates } from '@codemirror/collab';
import { waitUntil } from './clients.mjs';
import { collabState, connectPeer, receiveBatches, sendJoin } from './room-client.mjs';

class FileDoc {
  constructor(peer, f) {
    this.peer = peer;
    this.id = f.id;
    this.name = f.name;
    this.fresh(f);
    this.inflight = null;
    this.waiting = [];
    this.pulling = false;
  }

  fresh(doc) { this.state = collabState(doc); }

  get text() { return this.state.doc.toString(); }
  get version() { return getSyncedVersion(this.state); }
  get pending() { return sendableUpdates(this.state).length; }

  push() {
    const u = sendableUpdates(this.state).slice(0, this.peer.joined.limits.push_updates);
    if (this.inflight || !u.length) return;
    const msg = { type: 'push', file: this.id, version: this.version,
      updates: u.map((x) => ({ clientID: x.clientID, changes: x.changes.toJSON() })) };
    this.inflight = { at: Date.now() };
    this.peer.c.send(msg);
  }

  pull() {
    if (this.pulling) return;
    this.pulling = Date.now();
    this.peer.c.send({ type: 'pull', file: this.id, version: this.version });
  }

  onUpdates(m) {
    if (m.pull) { this.pulling = false; this.inflight = null; } else if (m.push) this.inflight = null;
    if (this.inflight) { this.waiting.push(m); return; }
    const batches = [...this.waiting, m];
    this.waiting = [];
    this.receive(batches);
  }

  onError(m) {
    if (m.push && this.inflight) {
      this.inflight = null;
      const w = this.waiting;
      this.waiting = [];
      this.receive(w);
    }
  }

  onResync(m) {
    this.pulling = false;
    this.inflight = null;
    this.waiting = [];
    if (this.pending) this.peer.drafts.push(this.text);
    this.fresh(m.doc);
  }

  receive(batches) { this.state = receiveBatches(this.state, batches, () => this.pull()); }
}

export class FilesPeer {
  static async join(base, room, name, { token } = {}) {
    const p = new FilesPeer();
    p.room = room;
    p.name = name;
    p.drafts = [];
    p.errors = [];
    p.files = new Map();   // id -> FileDoc
    p.entry = 0;
    p.held = null;
    p.c = await connectPeer(base, (m) => p._onMessage(m));
    const joined = await sendJoin(p.c, { type: 'join', room, name, files: true, ...(token ? { token } : {}) });
    p.joined = joined;
    p.id = joined.you.id;
    p.token = joined.token;
    p.entry = joined.entry;
    for (const f of joined.files) p.files.set(f.id, new FileDoc(p, f));
    return p;
  }

  send(m) { this.c.send(m); }
  file(id) { return this.files.get(id); }
  byName(name) { return [...this.files.values()].find((f) => f.name === name); }
  edit(id, spec) { const f = this.files.get(id); f.state = f.state.update({ changes: spec }).state; }
  push(id) { this.files.get(id).push(); }
  /* { name: text } of every file */
  texts() { return Object.fromEntries([...this.files.values()].map((f) => [f.name, f.text])); }

  hold() { this.held = this.held || []; }
  release() {
    const h = this.held || [];
    this.held = null;
    for (const m of h) this._onMessage(m);
  }

  _onMessage(m) {
    if (this.held) { this.held.push(m); return; }
    const f = this.files.get(m.file ?? 0);
    switch (m.type) {
      case 'updates': if (f) f.onUpdates(m); break;
      case 'resync': if (f) f.onResync(m); break;
      case 'file_added': if (!this.files.has(m.file.id)) this.files.set(m.file.id, new FileDoc(this, m.file)); break;
      case 'file_renamed': if (f) f.name = m.name; break;
      case 'file_deleted': this.files.delete(m.file); break;
      case 'file_entry': this.entry = m.file; break;
      case 'error':
        this.errors.push(m);
        if (m.push) for (const d of this.files.values()) if (d.inflight) d.onError(m);
        break;
      default: break;
    }
  }

  /* Resolves with the file named 'name' once this peer has it. */
  async waitFile(name, { timeout = 10000 } = {}) {
    let f;
    await waitUntil(() => (f = this.byName(name)), { timeout, interval: 10, what: `${this.name} has ${name}` });
    return f;
  }

  /* Pushes and pulls until no file has unconfirmed edits and each is at
   * the server's version (serverVersions: async () => Map id -> version). */
  async settle(serverVersions, { timeout = 30000 } = {}) {
    let sv = new Map();
    await waitUntil(async () => {
      if (this.held) this.release();
      const now = Date.now();
      let busy = false;
      for (const f of this.files.values()) {
        if (f.pulling && now - f.pulling > 1000) f.pulling = false;
        if (f.inflight && now - f.inflight.at > 1000 && !f.pulling) { f.pull(); busy = true; continue; }
        if (f.pending) { if (!f.pulling) f.push(); busy = true; }
      }
      if (busy) return false;
      sv = await serverVersions();
      let done = true;
      for (const [id, v] of sv) {
        const f = this.files.get(id);
        if (!f) { done = false; continue; }
        if (f.version < v) { f.pull(); done = false; }
        if (f.version !== v || f.pending) done = false;
      }
      return done && sv.size === this.files.size;
    }, { timeout, interval: 20, what: `${this.name} settled` }).catch((e) => {
      const mine = [...this.files.values()].map((f) => `${f.id}:${f.version}/${f.pending}`).join(' ');
      throw new Error(`${e.message}: mine ${mine}, server ${JSON.stringify([...sv])}, errors ` +
        `${JSON.stringify(this.errors.slice(-3))}\n${this.c.describe(8)}`);
    });
  }

  drop() { this.c.terminate(); }
  async close() { await this.c.close({ stopRun: false }); }
}
