// room.js - this page as a member of one room on /ws (docs/protocol.md,
// "Rooms on /ws"): join with the member's token (and "files": true), the
// @codemirror/collab loop against the server's authority for each of the
// room's files, presence, members and roles, chat, and the shared tabs
// (a file added, renamed or deleted by anyone shows here).
//
// Each file is a RoomDoc with its own collab state and push loop: the file
// shown is the editor's state, the others wait in an EditorState of their
// own (remote updates apply to it as they come), swapped in when their tab
// is chosen, so each file keeps its own undo history.
//
// The collab loop follows the protocol's rules:
//  * one push in flight, of at most limits.push_updates updates; every push
//    gets exactly one answer, marked "push": the `updates` with what was
//    accepted, or an error; or a resync, or the socket drops. With no
//    answer for PUSH_TIMEOUT (a message the socket's rate limit dropped),
//    pull: the answer ("pull") comes after whatever the push got, so it
//    ends the push;
//  * while a push is in flight, every `updates` that arrives is held, and
//    all of them go to receiveUpdates() in one call with the answer: the
//    server rebased my push over them, and mapping over their composition
//    and over them one by one can differ (docs/protocol.md);
//  * `updates` with from == my version go to receiveUpdates(); from > my
//    version: I missed some, pull; older ones: keep only what I lack;
//  * reconnect: join with the token, pull from my synced version, then push
//    what sendableUpdates still holds: edits land once, whatever was lost;
//  * resync (or a push the server can never take: my role changed, the file
//    is full): a fresh document from the server, and my unsent text kept as a
//    recovery draft.
// Remote changes are applied by receiveUpdates(), which marks them
// addToHistory: false, so Ctrl-Z undoes my own edits only.
import { ChangeSet, EditorSelection, Transaction } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { collab, getClientID, getSyncedVersion, receiveUpdates, sendableUpdates } from '@codemirror/collab';
import { remoteCursors, removeRemoteCursor, setRemoteCursor, syncRemoteMembers } from './cursors.js';

const PUSH_TIMEOUT = 3000;   // no answer to a push or pull: ask again
const PUSH_GAP = 40;         // ms between pushes: keystrokes batch up (room rate limit)
const RATE_BACKOFF = 400;    // after rate_limited
const PRESENCE_GAP = 120;    // presence at most this often
const HISTORY = 400;         // remote updates kept to map late presence
const NO_VERSION = Number.MAX_SAFE_INTEGER; // a pull "ahead of the server": answered by resync
const MESSAGE_MAX = 1024 * 1024 - 1024;     // the server's message cap (--max-message-bytes), with room to spare

export const roomKeys = {
  name: 'coderoom:name',
  token: (id) => `coderoom:room:${id}:token`,
  drafts: (id) => `coderoom:room:${id}:drafts`,
};

// One file of the room: its collab state and push loop.
class RoomDoc {
  constructor(client, id, name) {
    this.client = client;
    this.id = id;
    this.name = name;
    this.stash = null;         // its EditorState while another file is shown
    this.hasDoc = false;
    this.inflight = null;      // {version, count, timer}: my push, unanswered
    this.waiting = [];         // `updates` messages held while it is
    this.pulling = null;       // timer
    this.pushTimer = null;
    this.lastPushAt = 0;
    this.history = [];         // [{v, changes}] remote updates: doc(v) -> doc(v + 1)
    this.pendingPresence = new Map(); // member -> presence message ahead of my version
  }

  get active() { return this.client.activeId === this.id; }
  get editor() { return this.client.editor; }
  get conn() { return this.client.conn; }
  get state() { return this.active ? this.editor.view.state : this.stash; }
  get version() { return this.hasDoc ? getSyncedVersion(this.state) : null; }
  get unconfirmed() { return this.hasDoc ? sendableUpdates(this.state).length : 0; }
  get text() { return this.hasDoc ? this.state.doc.toString() : ''; }

  // A transaction (or a spec) on this file, shown or not.
  dispatch(tr) {
    if (this.active) { this.editor.view.dispatch(tr); return; }
    if (!this.stash) return;
    this.stash = (tr instanceof Transaction ? tr : this.stash.update(tr)).state;
  }

  loadDoc(doc) {
    this.history = [];
    this.pendingPresence.clear();
    if (this.active) this.editor.setDocument(doc.text, this.extensions(doc.version));
    else this.stash = this.editor.newState(doc.text, this.extensions(doc.version));
    this.hasDoc = true;
    this.refreshCursorNames();
  }

  extensions(version) {
    return [
      collab({ startVersion: version }),
      remoteCursors(),
      EditorView.updateListener.of((u) => {
        const local = u.transactions.some((tr) => tr.docChanged && !tr.annotation(Transaction.remote));
        if (local) this.schedulePush();
        if (u.selectionSet || local) this.client.schedulePresence();
        if (u.docChanged) this.client.on.sync(this.client.syncState());
      }),
    ];
  }

  onUpdates(msg) {
    if (!this.hasDoc || !Array.isArray(msg.updates)) return;
    if (msg.pull) {
      // After everything sent before it: it ends a push that got no answer.
      this.pulling = clear(this.pulling);
      this.clearInflight();
    } else if (msg.push) {
      this.clearInflight();
    }
    if (this.inflight) {
      this.waiting.push(msg); // given to receiveUpdates() with the answer
      return;
    }
    const batches = [...this.waiting, msg];
    this.waiting = [];
    this.receive(batches);
  }

  // `updates` messages, in the order they came, in one receiveUpdates().
  receive(batches) {
    const start = this.version;
    let v = start;
    let gap = false;
    const fresh = [];
    for (const b of batches) {
      const end = b.from + b.updates.length;
      if (b.from > v) { gap = true; break; } // I missed some
      if (end <= v) continue;                  // had them already
      fresh.push(...b.updates.slice(v - b.from));
      v = end;
    }
    if (fresh.length) {
      let updates;
      try {
        updates = fresh.map((u) => ({ clientID: String(u.clientID), changes: ChangeSet.fromJSON(u.changes) }));
      } catch (e) {
        console.warn('coderoom: unreadable updates from the server', e);
        this.requestResync();
        return;
      }
      const before = this.unconfirmed;
      try {
        this.dispatch(receiveUpdates(this.state, updates));
      } catch (e) {
        // They do not fit my document: it is not the server's any more.
        console.warn('coderoom: updates do not apply, reloading the file', e);
        this.requestResync();
        return;
      }
      updates.forEach((u, i) => this.history.push({ v: start + i, changes: u.changes }));
      if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
      // My presence went out in positions without my confirmed edits: say
      // where I am now that they are in the document.
      if (this.unconfirmed < before && this.active) this.client.schedulePresence();
    }
    if (gap) this.pull();
    this.flushPendingPresence();
    this.schedulePush();
    this.client.on.sync(this.client.syncState());
  }

  // A fresh document from the server; my unsent text becomes a draft.
  onResync(doc, why) {
    if (!doc || typeof doc.text !== 'string') return;
    this.forgetPush();
    this.pulling = clear(this.pulling);
    if (this.hasDoc && this.unconfirmed > 0) {
      const mine = this.state.doc.toString();
      if (mine !== doc.text) this.client.addDraft(mine, why);
    }
    this.loadDoc(doc);
    this.client.on.sync(this.client.syncState());
    if (this.active) {
      this.client.lastPresenceSent = '';
      this.client.schedulePresence();
    }
  }

  // Asks the server for the whole file (a pull "ahead" of it is answered
  // with resync, docs/protocol.md).
  requestResync() {
    this.forgetPush();
    this.pulling = clear(this.pulling);
    if (!this.client.joined) return;
    this.conn.sendJSON({ type: 'pull', version: NO_VERSION, file: this.id });
    this.pulling = setTimeout(() => { this.pulling = null; }, PUSH_TIMEOUT);
  }

  refreshCursorNames() {
    if (!this.hasDoc) return;
    const others = new Map();
    for (const [id, m] of this.client.members) if (id !== this.client.me?.id) others.set(id, { name: m.name, color: m.color });
    for (const id of this.pendingPresence.keys()) if (!others.has(id)) this.pendingPresence.delete(id);
    this.dispatch({ effects: syncRemoteMembers.of(others) });
  }

  // ------------------------------------------------------------ sending

  schedulePush(delay = 0) {
    if (this.pushTimer) return;
    const wait = Math.max(delay, PUSH_GAP - (performance.now() - this.lastPushAt));
    this.pushTimer = setTimeout(() => { this.pushTimer = null; this.push(); }, Math.max(0, wait));
  }

  push() {
    const c = this.client;
    if (!c.joined || !this.hasDoc || this.inflight || this.pulling || !c.canWrite || c.files.get(this.id) !== this) return;
    let updates = sendableUpdates(this.state).slice(0, c.limits.push_updates || 100);
    if (!updates.length) return;
    const version = this.version;
    // Within the server's message cap (a larger message closes the socket,
    // and the same push after the reconnect would close it again): fewer
    // updates, or, for one edit too large to send at all, a resync that
    // keeps my text as a draft.
    let msg;
    for (;;) {
      msg = JSON.stringify({
        type: 'push',
        version,
        updates: updates.map((u) => ({ clientID: u.clientID, changes: u.changes.toJSON() })),
        file: this.id,
      });
      if (msg.length * 3 <= MESSAGE_MAX || new TextEncoder().encode(msg).length <= MESSAGE_MAX) break;
      if (updates.length === 1) {
        c.on.notice({ kind: 'edit', code: 'too_large', message: 'That edit is too large to send (a message holds at most 1 MiB); the room\u2019s file is reloaded and your text kept as a recovery draft.' });
        this.requestResync();
        return;
      }
      updates = updates.slice(0, Math.ceil(updates.length / 2));
    }
    if (!this.conn.sendText(msg)) return;
    this.lastPushAt = performance.now();
    this.inflight = {
      version,
      count: updates.length,
      // No answer: pull; its answer ends the push (pulling waits for it).
      timer: setTimeout(() => { if (this.inflight) { this.pulling = clear(this.pulling); this.pull(true); } }, PUSH_TIMEOUT),
    };
    c.on.sync(c.syncState());
  }

  clearInflight() {
    if (this.inflight) clearTimeout(this.inflight.timer);
    this.inflight = null;
  }

  // The socket is gone or the document reloads: no answer will come, and
  // what was held for it is in the pull (or the resync) that follows.
  forgetPush() {
    this.clearInflight();
    this.waiting = [];
  }

  // A push of mine was refused, nothing of it accepted: what waited goes in now.
  refused(msg) {
    if (this.inflight) {
      this.clearInflight();
      const held = this.waiting;
      this.waiting = [];
      if (held.length) this.receive(held);
    }
    if (msg.code === 'rate_limited' || msg.code === 'store_failed' || msg.code === 'server_busy') {
      this.schedulePush(RATE_BACKOFF);
    } else if (msg.code === 'bad_changes' || msg.code === 'not_found') {
      // a resync follows; or the file is gone (file_deleted follows)
    } else if (msg.code === 'too_large') {
      this.client.on.notice({ kind: 'edit', code: msg.code, message: msg.message });
      this.requestResync();
    } else if (msg.code === 'forbidden') {
      this.requestResync();
    } else {
      this.schedulePush(RATE_BACKOFF);
    }
  }

  // force: even while a push is in flight (to end it).
  pull(force = false) {
    if (!this.client.joined || !this.hasDoc || this.pulling) return;
    if (this.inflight && !force) return; // its answer comes first; then we see
    if (!this.conn.sendJSON({ type: 'pull', version: this.version, file: this.id })) return;
    this.pulling = setTimeout(() => { this.pulling = null; this.schedulePush(); }, PUSH_TIMEOUT);
  }

  // Another member's selection at msg.version: mapped through the remote
  // updates since then and through my unconfirmed edits, then kept in the
  // editor (which maps it through whatever comes next).
  onPresence(msg) {
    if (!this.hasDoc) return;
    if (!msg.selection) {
      this.pendingPresence.delete(msg.member);
      this.dispatch({ effects: removeRemoteCursor.of(msg.member) });
      return;
    }
    const m = this.client.members.get(msg.member);
    const v = this.version;
    const pv = Number.isInteger(msg.version) ? msg.version : v;
    if (pv > v) { this.pendingPresence.set(msg.member, msg); return; } // its updates are on their way
    this.pendingPresence.delete(msg.member);
    let r;
    try {
      r = EditorSelection.range(Number(msg.selection.anchor), Number(msg.selection.head));
    } catch { return; }
    if (pv < v) {
      const start = this.history.findIndex((h) => h.v === pv);
      if (start < 0) return; // too old to place; the next presence will be fresh
      for (let i = start; i < this.history.length; i++) r = r.map(this.history[i].changes);
    }
    for (const u of sendableUpdates(this.state)) r = r.map(u.changes);
    try {
      this.dispatch({
        effects: setRemoteCursor.of({
          member: msg.member, anchor: r.anchor, head: r.head,
          name: m ? m.name : 'someone', color: m ? m.color : '#8d97a7',
        }),
      });
    } catch { /* outside the document: the next presence will fit */ }
  }

  flushPendingPresence() {
    const v = this.version;
    for (const p of [...this.pendingPresence.values()]) if (p.version <= v) this.onPresence(p);
  }

  // Gone from the room: its timers stop, its unsent text is kept.
  dispose(why) {
    if (this.hasDoc && this.unconfirmed > 0) this.client.addDraft(this.state.doc.toString(), why);
    this.forgetPush();
    this.pulling = clear(this.pulling);
    this.pushTimer = clear(this.pushTimer);
  }
}

export class RoomClient {
  // conn: Connection; editor: CodeEditor; store: {get, set}; on: callbacks
  // (joined, members, chat, role, settings, sync, drafts, notice, removed,
  // left, files).
  constructor(id, { conn, editor, store, on }) {
    this.id = id;
    this.conn = conn;
    this.editor = editor;
    this.store = store;
    this.on = on;
    this.name = null;
    this.token = store.get(roomKeys.token(id));
    this.me = null;            // {id, name, role, color}
    this.members = new Map();  // id -> {id, name, role, color}
    this.host = null;
    this.openEdit = false;
    this.language = null;
    this.file = null;          // file 0's name
    this.files = new Map();    // id -> RoomDoc, by increasing id
    this.entry = 0;            // the file that runs first
    this.activeId = null;      // the file in the editor
    this.filesSupported = true;
    this.limits = { doc_bytes: 1 << 20, chat_bytes: 2000, push_updates: 100 };
    this.joined = false;       // on the current socket
    this.joining = false;
    this.removed = null;       // reason, once the server put us out
    this.presenceTimer = null;
    this.lastPresenceAt = 0;
    this.lastPresenceSent = '';
    this.drafts = loadDrafts(store, id);
    this.lastChat = null;
    this.lastFileOp = null;    // what to tell when a file_* request is refused
    this.showOnAdd = new Set(); // names of files I add that take the view once added
  }

  get view() { return this.editor.view; }
  get state() { return this.editor.view.state; }
  get doc() { return this.files.get(this.activeId) || null; }
  get hasDoc() { return Boolean(this.doc?.hasDoc); }
  get version() { return this.doc ? this.doc.version : null; }
  // every file's edits not confirmed yet
  get unconfirmed() { let n = 0; for (const d of this.files.values()) n += d.unconfirmed; return n; }
  get clientID() { return this.hasDoc ? getClientID(this.state) : null; }
  get role() { return this.me?.role || null; }
  get canWrite() { return this.role === 'host' || this.role === 'writer'; }
  get isHost() { return this.role === 'host'; }

  // [{id, name}] the entry first, then by id; and every file's text.
  fileList() {
    const l = [...this.files.values()].map((d) => ({ id: d.id, name: d.name }));
    l.sort((a, b) => (a.id === this.entry ? -1 : b.id === this.entry ? 1 : a.id - b.id));
    return l;
  }

  snapshot() {
    return this.fileList().map((f) => ({ name: f.name, text: this.files.get(f.id).text }));
  }

  // ------------------------------------------------------------ lifecycle

  // A socket is ready (hello received): join, or re-join with the token.
  onHello() {
    this.joined = false;
    for (const d of this.files.values()) { d.forgetPush(); d.pulling = clear(d.pulling); }
    if (this.removed || !this.name) return;
    this.join();
  }

  // ack: this page acknowledges the room's run output (flow control).
  join() {
    this.removed = null;
    this.joining = true;
    const msg = { type: 'join', room: this.id, name: this.name, ack: true, files: true };
    if (this.token) msg.token = this.token;
    this.conn.sendJSON(msg);
  }

  setName(name) {
    this.name = name;
    this.store.set(roomKeys.name, name);
  }

  // The socket is gone: nothing is in flight any more.
  onDisconnected() {
    this.joined = false;
    this.joining = false;
    for (const d of this.files.values()) { d.forgetPush(); d.pulling = clear(d.pulling); }
    this.on.sync(this.syncState());
  }

  // ------------------------------------------------------------ messages

  // Returns true when msg was a room message.
  handle(msg) {
    const doc = () => this.files.get(Number.isInteger(msg.file) ? msg.file : 0);
    switch (msg.type) {
      case 'joined': this.onJoined(msg); return true;
      case 'updates': doc()?.onUpdates(msg); return true;
      case 'resync': doc()?.onResync(msg.doc, 'resync'); return true;
      case 'presence': this.onPresence(msg); return true;
      case 'members': this.onMembers(msg); return true;
      case 'chat':
        if (msg.member === this.me?.id) this.lastChat = null; // mine arrived
        this.on.chat([msg], false);
        return true;
      case 'room_settings': this.onSettings(msg); return true;
      case 'file_added': this.onFileAdded(msg); return true;
      case 'file_renamed': this.onFileRenamed(msg); return true;
      case 'file_deleted': this.onFileDeleted(msg); return true;
      case 'file_entry':
        if (Number.isInteger(msg.file) && this.files.has(msg.file)) this.entry = msg.file;
        this.filesChanged();
        return true;
      case 'removed': this.onRemoved(msg); return true;
      case 'left': this.joined = false; this.on.left?.(); return true;
      case 'error': return this.onError(msg);
      default: return false;
    }
  }

  onJoined(msg) {
    const prevMe = this.me;
    this.joining = false;
    this.joined = true;
    this.token = msg.token;
    this.store.set(roomKeys.token(this.id), msg.token);
    this.me = msg.you;
    this.limits = { ...this.limits, ...(msg.limits || {}) };
    this.language = msg.language;
    this.file = msg.file;
    this.openEdit = Boolean(msg.open_edit);
    this.host = msg.host;
    this.filesSupported = msg.files_supported !== false && Array.isArray(msg.files);
    this.setMembers(msg.members);

    // a server without files: file 0 alone, from msg.doc
    const list = Array.isArray(msg.files) ? msg.files : [{ id: 0, name: msg.file, ...msg.doc }];
    const sameMember = prevMe && prevMe.id === msg.you.id;
    const ids = new Set(list.map((f) => f.id));
    for (const [id, d] of [...this.files]) {
      if (ids.has(id)) continue;
      d.dispose('deleted');
      this.files.delete(id);
    }
    this.entry = ids.has(msg.entry) ? msg.entry : 0;
    if (this.activeId == null || !ids.has(this.activeId)) this.activeId = this.entry;
    for (const f of list) {
      let d = this.files.get(f.id);
      if (!d) {
        d = new RoomDoc(this, f.id, f.name);
        this.files.set(f.id, d);
      }
      d.name = f.name;
      if (!d.hasDoc) {
        d.loadDoc(f);
      } else if (!sameMember) {
        // The server did not know my token any more: I am a new member, and my
        // unsent edits carry another member's clientID. Start over, keep them.
        d.onResync(f, 'new-member');
      } else if (f.version < d.version) {
        // The server is behind what I saw confirmed (it should never be).
        d.onResync(f, 'resync');
      } else {
        // A re-join: catch up from my synced version (this confirms what of
        // mine landed before the drop), then push what is still unconfirmed.
        d.pull();
      }
    }
    this.files = new Map([...this.files].sort((a, b) => a[0] - b[0]));
    // the editor shows the active file's state
    this.showFile(this.activeId, { force: true });
    for (const p of msg.presence || []) this.onPresence(p);
    this.on.joined(msg, { rejoin: Boolean(prevMe) });
    this.on.role(this.role, prevMe?.role || null);
    this.on.chat(msg.chat || [], true);
    this.filesChanged();
    this.lastPresenceSent = '';
    this.schedulePresence();
    this.on.sync(this.syncState());
  }

  // Shows file 'id' in the editor: its state is swapped in, the one shown
  // goes to its stash.
  showFile(id, { force = false } = {}) {
    const next = this.files.get(id);
    if (!next || !next.hasDoc) return false;
    if (id === this.activeId && !force) return true;
    const cur = this.files.get(this.activeId);
    if (id !== this.activeId) {
      const old = this.editor.swapState(next.stash);
      if (cur && cur.hasDoc) cur.stash = old;
      next.stash = null;
      this.activeId = id;
    } else if (next.stash) {
      this.editor.swapState(next.stash);
      next.stash = null;
    }
    this.lastPresenceSent = '';
    this.schedulePresence();
    return true;
  }

  filesChanged() { this.on.files?.(this.fileList(), this.activeId); }

  onFileAdded(msg) {
    const f = msg.file;
    if (!f || !Number.isInteger(f.id) || typeof f.name !== 'string' || typeof f.text !== 'string') return;
    if (!this.files.has(f.id)) {
      const d = new RoomDoc(this, f.id, f.name);
      this.files.set(f.id, d);
      d.loadDoc(f);
    }
    this.filesChanged();
    if (msg.by === this.me?.id && this.lastFileOp?.type === 'file_add' && this.lastFileOp.name === f.name) {
      this.lastFileOp = null;
    }
    if (msg.by === this.me?.id && this.showOnAdd.delete(f.name)) {
      this.showFile(f.id);
      this.on.files?.(this.fileList(), this.activeId, { focus: true });
    }
  }

  onFileRenamed(msg) {
    const d = this.files.get(msg.file);
    if (!d || typeof msg.name !== 'string') return;
    d.name = msg.name;
    if (msg.file === 0) this.file = msg.name;
    this.filesChanged();
  }

  onFileDeleted(msg) {
    const d = this.files.get(msg.file);
    if (!d) return;
    const wasActive = this.activeId === msg.file;
    if (wasActive) {
      // show another file first: the deleted one leaves the editor
      const other = this.fileList().find((f) => f.id !== msg.file);
      if (other) this.showFile(other.id);
    }
    d.dispose('deleted');
    this.files.delete(msg.file);
    const by = this.members.get(msg.by);
    if (msg.by !== this.me?.id) this.on.notice({ kind: 'file', code: 'deleted', message: `${by ? by.name : 'Someone'} deleted ${d.name}.` });
    this.filesChanged();
  }

  onMembers(msg) {
    if (typeof msg.host === 'string') this.host = msg.host;
    if (typeof msg.open_edit === 'boolean') this.openEdit = msg.open_edit;
    const prevRole = this.role;
    this.setMembers(msg.members);
    const mine = this.members.get(this.me?.id);
    if (mine) this.me = mine;
    this.on.members();
    if (this.role !== prevRole) this.on.role(this.role, prevRole);
    // Write access gone with edits unsent: they can never land. Keep them.
    for (const d of this.files.values()) {
      if (prevRole && !this.canWrite && d.unconfirmed > 0) d.requestResync();
      else d.schedulePush();
    }
    this.filesChanged();
  }

  setMembers(list) {
    this.members = new Map();
    for (const m of Array.isArray(list) ? list : []) if (m && typeof m.id === 'string') this.members.set(m.id, m);
    for (const d of this.files.values()) d.refreshCursorNames();
  }

  onSettings(msg) {
    if (typeof msg.open_edit === 'boolean') this.openEdit = msg.open_edit;
    if (typeof msg.language === 'string') this.language = msg.language;
    if (typeof msg.file === 'string') {
      this.file = msg.file;
      const d0 = this.files.get(0);
      if (d0) d0.name = msg.file;
    }
    this.on.settings(msg);
    this.filesChanged();
  }

  // "replaced": the same member joined from another tab, which has the room
  // now; do not take it back on every reconnect. Anything else ("closing":
  // the server stops) is like a dropped connection: join again when the
  // socket is back, with the unsent edits.
  onRemoved(msg) {
    const reason = typeof msg.reason === 'string' ? msg.reason : 'removed';
    if (reason === 'replaced') this.removed = reason;
    this.joined = false;
    for (const d of this.files.values()) d.forgetPush();
    this.on.sync(this.syncState());
    this.on.removed(reason);
  }

  // Errors that answer a room request; false for the others (runs).
  onError(msg) {
    const f = msg.field;
    if (this.joining && (msg.code === 'not_found' || msg.code === 'room_full' || msg.code === 'server_full' ||
        (msg.code === 'bad_field' && f === 'name') || msg.code === 'already_joined')) {
      this.joining = false;
      this.on.notice({ kind: 'join', code: msg.code, message: msg.message });
      return true;
    }
    if (msg.push || f === 'push') {
      // the file whose push was in flight (one push in flight per file;
      // an error names no file, so the oldest push in flight)
      const docs = [...this.files.values()].filter((d) => d.inflight);
      docs.sort((a, b) => a.lastPushAt - b.lastPushAt);
      if (docs[0]) docs[0].refused(msg);
      else for (const d of this.files.values()) d.schedulePush(RATE_BACKOFF);
      return true;
    }
    if (f === 'pull') {
      for (const d of this.files.values()) {
        if (!d.pulling) continue;
        d.pulling = clear(d.pulling);
        setTimeout(() => d.pull(), RATE_BACKOFF);
      }
      return true;
    }
    if (f === 'selection' || f === 'version') return true; // a presence that no longer fits: the next one will
    if (f === 'text' && this.lastChat != null) {
      this.on.notice({ kind: 'chat', code: msg.code, message: msg.message, text: this.lastChat });
      this.lastChat = null;
      return true;
    }
    if (this.lastFileOp && (f === 'name' || f === 'file' || f === 'files' || (f === 'text' && this.lastFileOp.type === 'file_add') || msg.code === 'forbidden' || msg.code === 'not_supported')) {
      this.lastFileOp = null;
      this.on.notice({ kind: 'file', code: msg.code, message: msg.message });
      return true;
    }
    if (msg.code === 'not_joined') { if (this.name && !this.removed) this.join(); return true; }
    if (['forbidden', 'not_found', 'bad_field', 'unknown_language', 'store_failed', 'rate_limited', 'too_large', 'not_supported'].includes(msg.code)) {
      this.on.notice({ kind: 'room', code: msg.code, message: msg.message });
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------ presence

  schedulePresence() {
    if (this.presenceTimer || !this.hasDoc) return;
    const wait = Math.max(0, PRESENCE_GAP - (performance.now() - this.lastPresenceAt));
    this.presenceTimer = setTimeout(() => { this.presenceTimer = null; this.sendPresence(); }, wait);
  }

  // My main selection in the file shown, in positions of its document at
  // my synced version: mapped back through my unconfirmed edits, as the
  // protocol asks.
  sendPresence() {
    const d = this.doc;
    if (!this.joined || !d || !d.hasDoc) return;
    let r = this.state.selection.main;
    const mine = sendableUpdates(this.state);
    for (let i = mine.length - 1; i >= 0; i--) r = r.map(mine[i].changes.invertedDesc);
    const version = d.version;
    const key = `${d.id}:${version}:${r.anchor}:${r.head}`;
    if (key === this.lastPresenceSent) return;
    if (this.conn.sendJSON({ type: 'presence', selection: { anchor: r.anchor, head: r.head }, version, file: d.id })) {
      this.lastPresenceSent = key;
      this.lastPresenceAt = performance.now();
    }
  }

  // Another member's selection: shown in its file, gone from the others.
  onPresence(msg) {
    if (typeof msg.member !== 'string' || msg.member === this.me?.id) return;
    const file = Number.isInteger(msg.file) ? msg.file : 0;
    for (const d of this.files.values()) {
      if (d.id === file) d.onPresence(msg);
      else if (d.hasDoc) d.onPresence({ member: msg.member, selection: null });
    }
  }

  // ------------------------------------------------------------ actions

  chat(text) {
    this.lastChat = text;
    return this.conn.sendJSON({ type: 'chat', text });
  }

  setRole(member, role) { return this.conn.sendJSON({ type: 'role', member, role }); }
  setOpenEdit(on) { return this.conn.sendJSON({ type: 'room_settings', open_edit: Boolean(on) }); }
  setLanguage(language) { return this.conn.sendJSON({ type: 'room_settings', language }); }
  handOver(member) { return this.conn.sendJSON({ type: 'host', member }); }
  // replaces the file shown
  upload(text, name) { return this.conn.sendJSON({ type: 'upload', text, name, file: this.activeId ?? 0 }); }

  // The shared tabs: the answer is the broadcast (file_added, ...).
  fileOp(msg) {
    this.lastFileOp = msg;
    return this.conn.sendJSON(msg);
  }

  // show: the file takes the view once added (a new tab), or stays in the
  // background (the other files of a project being shared)
  addFile(name, text = '', { show = true } = {}) {
    if (this.showOnAdd.size >= 64) this.showOnAdd.clear(); // refused adds
    if (show) this.showOnAdd.add(name);
    else this.showOnAdd.delete(name);
    return this.fileOp({ type: 'file_add', name, text });
  }
  renameFile(id, name) { return this.fileOp({ type: 'file_rename', file: id, name }); }
  deleteFile(id) { return this.fileOp({ type: 'file_delete', file: id }); }
  setEntry(id) { return this.fileOp({ type: 'file_entry', file: id }); }

  // Replaces the file shown with 'text' as my own edit (undoable, collaborative).
  applyText(text) {
    if (!this.hasDoc) return;
    const cur = this.state.doc.toString();
    let a = 0;
    const max = Math.min(cur.length, text.length);
    while (a < max && cur.charCodeAt(a) === text.charCodeAt(a)) a++;
    let b = 0;
    while (b < max - a && cur.charCodeAt(cur.length - 1 - b) === text.charCodeAt(text.length - 1 - b)) b++;
    this.view.dispatch({
      changes: { from: a, to: cur.length - b, insert: text.slice(a, text.length - b) },
      userEvent: 'input.replace',
      scrollIntoView: true,
    });
  }

  // ------------------------------------------------------------ drafts

  // announce: open the drafts for the user to see now.
  addDraft(text, why, announce = true) {
    this.drafts.push({ text, why, at: Date.now() });
    if (this.drafts.length > 5) this.drafts.splice(0, this.drafts.length - 5);
    saveDrafts(this.store, this.id, this.drafts);
    this.on.drafts(this.drafts, announce);
  }

  dropDraft(i) {
    this.drafts.splice(i, 1);
    saveDrafts(this.store, this.id, this.drafts);
    this.on.drafts(this.drafts, false);
  }

  // ------------------------------------------------------------ status

  // 'offline' | 'joining' | 'sending' | 'synced', and the unsent count.
  syncState() {
    const n = this.unconfirmed;
    if (!this.conn.connected) return { state: 'offline', unsent: n };
    if (!this.joined) return { state: 'joining', unsent: n };
    return { state: n > 0 ? 'sending' : 'synced', unsent: n };
  }
}

function clear(t) { if (t) clearTimeout(t); return null; }

function loadDrafts(store, id) {
  try {
    const v = JSON.parse(store.get(roomKeys.drafts(id)) || '[]');
    return Array.isArray(v) ? v.filter((d) => d && typeof d.text === 'string') : [];
  } catch { return []; }
}

function saveDrafts(store, id, drafts) {
  store.set(roomKeys.drafts(id), JSON.stringify(drafts));
}
