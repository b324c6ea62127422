// history.js - the last runs of this browser: when, which language, which
// files (by a hash of their text), the verdict and the times; the code of
// each is kept beside it so a run can be opened again. localStorage,
// bounded: RUNS entries, and the code of at most CODES distinct versions
// of at most CODE_BYTES in all (the oldest go first).
import { fmtBytes, fmtMs } from './usage.js';

const KEY = 'coderoom:history';
const CODE_KEY = (h) => `coderoom:history:code:${h}`;
const RUNS = 50;
const CODES = 30;
const CODE_BYTES = 2 * 1024 * 1024;

// FNV-1a, 64 bits, over the UTF-8 of the files: a short, stable name for
// one version of the code (not a secret: nothing depends on it).
export function codeHash(files) {
  const enc = new TextEncoder();
  let h = 0xcbf29ce484222325n;
  const P = 0x100000001b3n;
  const M = 0xffffffffffffffffn;
  const feed = (bytes) => { for (const b of bytes) h = ((h ^ BigInt(b)) * P) & M; };
  for (const f of files) {
    feed(enc.encode(f.name));
    feed([0]);
    feed(enc.encode(f.text));
    feed([0]);
  }
  return h.toString(16).padStart(16, '0');
}

const $ = (id) => document.getElementById(id);

export class RunHistory {
  // store: {get, set, remove?}; actions: {open(entry, files)}
  constructor(store, actions) {
    this.store = store;
    this.actions = actions;
    this.runs = this.load();
    this.current = null;
    this.el = { dialog: $('history-dialog'), list: $('history-list'), clear: $('history-clear'), empty: $('history-empty') };
    this.el.clear.addEventListener('click', () => this.clear());
    $('history-close').addEventListener('click', () => this.el.dialog.close());
    this.el.list.addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-open]');
      if (b) this.open(b.dataset.open);
    });
  }

  load() {
    try {
      const v = JSON.parse(this.store.get(KEY) || '[]');
      return Array.isArray(v) ? v.filter((r) => r && typeof r.id === 'string' && typeof r.hash === 'string').slice(-RUNS) : [];
    } catch { return []; }
  }

  save() { this.store.set(KEY, JSON.stringify(this.runs.slice(-RUNS))); }

  // A run starts: files [{name, text}] (entry first), its language.
  started({ files, language, languageName, room }) {
    const hash = codeHash(files);
    this.keepCode(hash, files);
    this.current = {
      id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`,
      at: Date.now(), hash, language, languageName: languageName || language,
      files: files.map((f) => f.name), bytes: files.reduce((n, f) => n + f.text.length, 0),
      status: 'running', label: 'Running', room: room || null,
    };
    this.runs.push(this.current);
    if (this.runs.length > RUNS) this.runs.splice(0, this.runs.length - RUNS);
    this.save();
  }

  // The run's end, as `exited` said it (or a local failure).
  finished(ex, label) {
    const r = this.current;
    if (!r) return;
    this.current = null;
    r.status = ex?.status || 'failed';
    r.label = label || ex?.message || r.status;
    if (ex) {
      for (const k of ['code', 'wall_ms', 'cpu_ms', 'memory_bytes']) if (ex[k] != null) r[k] = ex[k];
    }
    this.save();
    if (this.el.dialog.open) this.render();
  }

  keepCode(hash, files) {
    const key = CODE_KEY(hash);
    if (this.store.get(key) != null) return;
    this.store.set(key, JSON.stringify(files));
    // the bound: drop the code of the oldest versions no run keeps
    let index = [];
    try { index = JSON.parse(this.store.get(`${KEY}:codes`) || '[]'); } catch { index = []; }
    index = index.filter((e) => e && e.hash !== hash);
    index.push({ hash, bytes: key.length + JSON.stringify(files).length });
    let total = index.reduce((n, e) => n + e.bytes, 0);
    while (index.length > CODES || total > CODE_BYTES) {
      const old = index.shift();
      total -= old.bytes;
      this.store.remove?.(CODE_KEY(old.hash));
    }
    this.store.set(`${KEY}:codes`, JSON.stringify(index));
  }

  codeOf(hash) {
    try {
      const v = JSON.parse(this.store.get(CODE_KEY(hash)) || 'null');
      return Array.isArray(v) && v.every((f) => f && typeof f.name === 'string' && typeof f.text === 'string') ? v : null;
    } catch { return null; }
  }

  show() {
    this.runs = this.load();
    this.render();
    this.el.dialog.showModal();
    this.el.list.querySelector('button[data-open]')?.focus();
  }

  render() {
    const ol = this.el.list;
    ol.textContent = '';
    this.el.empty.hidden = this.runs.length > 0;
    this.el.clear.disabled = !this.runs.length;
    const fmtTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });
    for (const r of [...this.runs].reverse()) {
      const li = document.createElement('li');
      li.className = 'hist';
      li.dataset.status = r.status;
      const head = document.createElement('div');
      head.className = 'hist-head';
      const verdict = document.createElement('span');
      verdict.className = 'hist-verdict';
      verdict.textContent = r.label || r.status;
      const when = document.createElement('time');
      when.dateTime = new Date(r.at).toISOString();
      when.textContent = fmtTime.format(new Date(r.at));
      head.append(verdict, when);
      const meta = document.createElement('div');
      meta.className = 'hist-meta';
      const times = [];
      if (Number.isFinite(r.wall_ms)) times.push(`${fmtMs(r.wall_ms)} wall`);
      if (Number.isFinite(r.cpu_ms)) times.push(`${fmtMs(r.cpu_ms)} CPU`);
      if (Number.isFinite(r.memory_bytes) && r.memory_bytes > 0) times.push(fmtBytes(r.memory_bytes));
      const names = r.files.length > 3 ? `${r.files.slice(0, 3).join(', ')} and ${r.files.length - 3} more` : r.files.join(', ');
      meta.textContent = `${r.languageName} · ${names}${times.length ? ` · ${times.join(' · ')}` : ''}${r.room ? ' · in a room' : ''}`;
      const hash = document.createElement('code');
      hash.className = 'hist-hash';
      hash.textContent = r.hash.slice(0, 8);
      hash.title = `code ${r.hash}`;
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'btn btn-small';
      open.dataset.open = r.id;
      const has = this.codeOf(r.hash) != null;
      open.disabled = !has;
      open.textContent = 'Open';
      open.setAttribute('aria-label', `Open the code of the run of ${when.textContent} (${r.label || r.status})`);
      if (!has) open.title = 'This code is no longer kept (only the last versions are)';
      const row = document.createElement('div');
      row.className = 'hist-row';
      row.append(meta, hash, open);
      li.append(head, row);
      ol.append(li);
    }
  }

  open(id) {
    const r = this.runs.find((x) => x.id === id);
    const files = r && this.codeOf(r.hash);
    if (!files) return;
    this.el.dialog.close();
    this.actions.open(r, files);
  }

  clear() {
    for (const r of this.runs) this.store.remove?.(CODE_KEY(r.hash));
    this.store.remove?.(`${KEY}:codes`);
    this.runs = [];
    this.save();
    this.render();
  }
}
