// room.js - this page as a member of one room on /ws (docs/protocol.md,
// "Rooms on /ws"): join with the member's token, the @codemirror/collab loop
// against the server's authority, presence, members and roles, chat.
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

export class RoomClient {
  // conn: Connection; editor: CodeEditor; store: {get, set}; on: callbacks
  // (joined, members, chat, role, settings, sync, drafts, notice, removed, left).
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
    this.file = null;
    this.limits = { doc_bytes: 1 << 20, chat_bytes: 2000, push_updates: 100 };
    this.joined = false;       // on the current socket
    this.joining = false;
    this.removed = null;       // reason, once the server put us out
    this.hasDoc = false;       // the editor holds this room's document
    this.inflight = null;      // {version, count, timer}: my push, unanswered
    this.waiting = [];         // `updates` messages held while it is
    this.pulling = null;       // timer
    this.pushTimer = null;
    this.lastPushAt = 0;
    this.presenceTimer = null;
    this.lastPresenceAt = 0;
    this.lastPresenceSent = '';
    this.history = [];         // [{v, changes}] remote updates: doc(v) -> doc(v + 1)
    this.pendingPresence = new Map(); // member -> presence message ahead of my version
    this.drafts = loadDrafts(store, id);
    this.lastChat = null;
  }

  get view() { return this.editor.view; }
  get state() { return this.editor.view.state; }
  get version() { return this.hasDoc ? getSyncedVersion(this.state) : null; }
  get unconfirmed() { return this.hasDoc ? sendableUpdates(this.state).length : 0; }
  get clientID() { return this.hasDoc ? getClientID(this.state) : null; }
  get role() { return this.me?.role || null; }
  get canWrite() { return this.role === 'host' || this.role === 'writer'; }
  get isHost() { return this.role === 'host'; }

  // ------------------------------------------------------------ lifecycle

  // A socket is ready (hello received): join, or re-join with the token.
  onHello() {
    this.joined = false;
    this.forgetPush();
    this.pulling = clear(this.pulling);
    if (this.removed || !this.name) return;
    this.join();
  }

  // ack: this page acknowledges the room's run output (flow control).
  join() {
    this.removed = null;
    this.joining = true;
    const msg = { type: 'join', room: this.id, name: this.name, ack: true };
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
    this.forgetPush();
    this.pulling = clear(this.pulling);
    this.on.sync(this.syncState());
  }

  // ------------------------------------------------------------ messages

  // Returns true when msg was a room message.
  handle(msg) {
    switch (msg.type) {
      case 'joined': this.onJoined(msg); return true;
      case 'updates': this.onUpdates(msg); return true;
      case 'resync': this.onResync(msg.doc, 'resync'); return true;
      case 'presence': this.onPresence(msg); return true;
      case 'members': this.onMembers(msg); return true;
      case 'chat':
        if (msg.member === this.me?.id) this.lastChat = null; // mine arrived
        this.on.chat([msg], false);
        return true;
      case 'room_settings': this.onSettings(msg); return true;
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
    this.setMembers(msg.members);

    const sameMember = prevMe && prevMe.id === msg.you.id;
    if (!this.hasDoc) {
      this.loadDoc(msg.doc);
    } else if (!sameMember) {
      // The server did not know my token any more: I am a new member, and my
      // unsent edits carry another member's clientID. Start over, keep them.
      this.onResync(msg.doc, 'new-member');
    } else if (msg.doc.version < this.version) {
      // The server is behind what I saw confirmed (it should never be).
      this.onResync(msg.doc, 'resync');
    } else {
      // A re-join: catch up from my synced version (this confirms what of
      // mine landed before the drop), then push what is still unconfirmed.
      this.pull();
    }
    for (const p of msg.presence || []) this.onPresence(p);
    this.on.joined(msg, { rejoin: Boolean(prevMe) });
    this.on.role(this.role, prevMe?.role || null);
    this.on.chat(msg.chat || [], true);
    this.lastPresenceSent = '';
    this.schedulePresence();
    this.on.sync(this.syncState());
  }

  loadDoc(doc) {
    this.history = [];
    this.pendingPresence.clear();
    this.editor.setDocument(doc.text, this.extensions(doc.version));
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
        if (u.selectionSet || local) this.schedulePresence();
        if (u.docChanged) this.on.sync(this.syncState());
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
        this.view.dispatch(receiveUpdates(this.state, updates));
      } catch (e) {
        // They do not fit my document: it is not the server's any more.
        console.warn('coderoom: updates do not apply, reloading the document', e);
        this.requestResync();
        return;
      }
      updates.forEach((u, i) => this.history.push({ v: start + i, changes: u.changes }));
      if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
      // My presence went out in positions without my confirmed edits: say
      // where I am now that they are in the document.
      if (this.unconfirmed < before) this.schedulePresence();
    }
    if (gap) this.pull();
    this.flushPendingPresence();
    this.schedulePush();
    this.on.sync(this.syncState());
  }

  // A fresh document from the server; my unsent text becomes a draft.
  onResync(doc, why) {
    if (!doc || typeof doc.text !== 'string') return;
    this.forgetPush();
    this.pulling = clear(this.pulling);
    if (this.hasDoc && this.unconfirmed > 0) {
      const mine = this.state.doc.toString();
      if (mine !== doc.text) this.addDraft(mine, why);
    }
    this.loadDoc(doc);
    this.on.sync(this.syncState());
    this.lastPresenceSent = '';
    this.schedulePresence();
  }

  // Asks the server for the whole document (a pull "ahead" of it is
  // answered with resync, docs/protocol.md).
  requestResync() {
    this.forgetPush();
    this.pulling = clear(this.pulling);
    if (!this.joined) return;
    this.conn.sendJSON({ type: 'pull', version: NO_VERSION });
    this.pulling = setTimeout(() => { this.pulling = null; }, PUSH_TIMEOUT);
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
    if (prevRole && !this.canWrite && this.unconfirmed > 0) this.requestResync();
    else this.schedulePush();
  }

  setMembers(list) {
    this.members = new Map();
    for (const m of Array.isArray(list) ? list : []) if (m && typeof m.id === 'string') this.members.set(m.id, m);
    this.refreshCursorNames();
  }

  refreshCursorNames() {
    if (!this.hasDoc) return;
    const others = new Map();
    for (const [id, m] of this.members) if (id !== this.me?.id) others.set(id, { name: m.name, color: m.color });
    for (const id of this.pendingPresence.keys()) if (!others.has(id)) this.pendingPresence.delete(id);
    this.view.dispatch({ effects: syncRemoteMembers.of(others) });
  }

  onSettings(msg) {
    if (typeof msg.open_edit === 'boolean') this.openEdit = msg.open_edit;
    if (typeof msg.language === 'string') this.language = msg.language;
    if (typeof msg.file === 'string') this.file = msg.file;
    this.on.settings(msg);
  }

  // "replaced": the same member joined from another tab, which has the room
  // now; do not take it back on every reconnect. Anything else ("closing":
  // the server stops) is like a dropped connection: join again when the
  // socket is back, with the unsent edits.
  onRemoved(msg) {
    const reason = typeof msg.reason === 'string' ? msg.reason : 'removed';
    if (reason === 'replaced') this.removed = reason;
    this.joined = false;
    this.forgetPush();
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
      // My push was refused, nothing of it accepted: what waited goes in now.
      if (this.inflight) {
        this.clearInflight();
        const held = this.waiting;
        this.waiting = [];
        if (held.length) this.receive(held);
      }
      if (msg.code === 'rate_limited' || msg.code === 'store_failed' || msg.code === 'server_busy') {
        this.schedulePush(RATE_BACKOFF);
      } else if (msg.code === 'bad_changes') {
        // a resync follows
      } else if (msg.code === 'too_large') {
        this.on.notice({ kind: 'edit', code: msg.code, message: msg.message });
        this.requestResync();
      } else if (msg.code === 'forbidden') {
        this.requestResync();
      } else {
        this.schedulePush(RATE_BACKOFF);
      }
      return true;
    }
    if (f === 'pull') {
      this.pulling = clear(this.pulling);
      setTimeout(() => this.pull(), RATE_BACKOFF);
      return true;
    }
    if (f === 'selection' || f === 'version') return true; // a presence that no longer fits: the next one will
    if (f === 'text' && this.lastChat != null) {
      this.on.notice({ kind: 'chat', code: msg.code, message: msg.message, text: this.lastChat });
      this.lastChat = null;
      return true;
    }
    if (msg.code === 'not_joined') { if (this.name && !this.removed) this.join(); return true; }
    if (['forbidden', 'not_found', 'bad_field', 'unknown_language', 'store_failed', 'rate_limited', 'too_large'].includes(msg.code)) {
      this.on.notice({ kind: 'room', code: msg.code, message: msg.message });
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------ sending

  schedulePush(delay = 0) {
    if (this.pushTimer) return;
    const wait = Math.max(delay, PUSH_GAP - (performance.now() - this.lastPushAt));
    this.pushTimer = setTimeout(() => { this.pushTimer = null; this.push(); }, Math.max(0, wait));
  }

  push() {
    if (!this.joined || !this.hasDoc || this.inflight || this.pulling || !this.canWrite) return;
    let updates = sendableUpdates(this.state).slice(0, this.limits.push_updates || 100);
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
      });
      if (msg.length * 3 <= MESSAGE_MAX || new TextEncoder().encode(msg).length <= MESSAGE_MAX) break;
      if (updates.length === 1) {
        this.on.notice({ kind: 'edit', code: 'too_large', message: 'That edit is too large to send (a message holds at most 1 MiB); the room\u2019s file is reloaded and your text kept as a recovery draft.' });
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
    this.on.sync(this.syncState());
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

  // force: even while a push is in flight (to end it).
  pull(force = false) {
    if (!this.joined || !this.hasDoc || this.pulling) return;
    if (this.inflight && !force) return; // its answer comes first; then we see
    if (!this.conn.sendJSON({ type: 'pull', version: this.version })) return;
    this.pulling = setTimeout(() => { this.pulling = null; this.schedulePush(); }, PUSH_TIMEOUT);
  }

  // ------------------------------------------------------------ presence

  schedulePresence() {
    if (this.presenceTimer || !this.hasDoc) return;
    const wait = Math.max(0, PRESENCE_GAP - (performance.now() - this.lastPresenceAt));
    this.presenceTimer = setTimeout(() => { this.presenceTimer = null; this.sendPresence(); }, wait);
  }

  // My main selection in positions of the document at my synced version:
  // mapped back through my unconfirmed edits, as the protocol asks.
  sendPresence() {
    if (!this.joined || !this.hasDoc) return;
    let r = this.state.selection.main;
    const mine = sendableUpdates(this.state);
    for (let i = mine.length - 1; i >= 0; i--) r = r.map(mine[i].changes.invertedDesc);
    const version = this.version;
    const key = `${version}:${r.anchor}:${r.head}`;
    if (key === this.lastPresenceSent) return;
    if (this.conn.sendJSON({ type: 'presence', selection: { anchor: r.anchor, head: r.head }, version })) {
      this.lastPresenceSent = key;
      this.lastPresenceAt = performance.now();
    }
  }

  // Another member's selection at msg.version: mapped through the remote
  // updates since then and through my unconfirmed edits, then kept in the
  // editor (which maps it through whatever comes next).
  onPresence(msg) {
    if (!this.hasDoc || typeof msg.member !== 'string' || msg.member === this.me?.id) return;
    if (!msg.selection) {
      this.pendingPresence.delete(msg.member);
      this.view.dispatch({ effects: removeRemoteCursor.of(msg.member) });
      return;
    }
    const m = this.members.get(msg.member);
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
    this.view.dispatch({
      effects: setRemoteCursor.of({
        member: msg.member, anchor: r.anchor, head: r.head,
        name: m ? m.name : 'someone', color: m ? m.color : '#8d97a7',
      }),
    });
  }

  flushPendingPresence() {
    const v = this.version;
    for (const p of [...this.pendingPresence.values()]) if (p.version <= v) this.onPresence(p);
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
  upload(text, name) { return this.conn.sendJSON({ type: 'upload', text, name }); }

  // Replaces my document with 'text' as my own edit (undoable, collaborative).
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
