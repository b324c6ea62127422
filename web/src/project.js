// project.js - a project of several files: the model (names under the
// server's path rule, one entry file that runs first), kept per language
// in localStorage; the tab bar over the editor (each file keeps its own
// editor state: text, undo history, selection); the file dialogs; the
// project as a ZIP and back. In a room the tabs are the room's files
// (roomMode(): room.js keeps them; adding, renaming, deleting and the
// entry go to the server, and every member's tabs follow its answer).
//
// The path rule is the server's (src/sandbox/sandbox.h, sandbox_path_ok):
// a relative path of 1..1024 bytes, '/' between directories, no empty,
// "." or ".." part, no part over 255 bytes, at most 16 directories, no
// control characters; and no two files that clash (the same path, or a
// file and a directory of that name). A run sends every file, the entry
// first (docs/protocol.md, "Projects").
import { readZip, writeZip, ZipError } from './zip.js';
import { modeForFile, projectFor } from './examples.js';

export const FILES_MAX = 64;
export const ROOM_FILES_MAX = 32; // the server's ROOM_FILES_MAX
// A project travels in one /ws message (1 MiB) as JSON: its text may take
// half of it, whatever JSON escaping adds.
export const PROJECT_BYTES_MAX = 512 * 1024;
const ZIP_BYTES_MAX = 4 * 1024 * 1024;
const KEY = (lang) => `coderoom:project:${lang}`;
const OLD_KEY = (lang) => `coderoom:code:${lang}`;
const enc = new TextEncoder();

// null when 'name' is a valid file path, else what is wrong with it.
export function pathProblem(name) {
  if (typeof name !== 'string' || !name) return 'a file needs a name';
  const bytes = enc.encode(name).length;
  if (bytes > 1024) return 'a path has at most 1024 bytes';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'no control characters in a name';
  if (name.startsWith('/')) return 'a path is relative: no leading "/"';
  const parts = name.split('/');
  if (parts.length - 1 > 16) return 'at most 16 directories deep';
  for (const p of parts) {
    if (!p) return 'no empty part (as in "a//b" or a trailing "/")';
    if (p === '.' || p === '..') return '"." and ".." are not allowed';
    if (enc.encode(p).length > 255) return 'a part of a path has at most 255 bytes';
  }
  return null;
}

export function pathsClash(a, b) {
  if (a.length > b.length) [a, b] = [b, a];
  return b.startsWith(a) && (b.length === a.length || b[a.length] === '/');
}

export function projectBytes(files) {
  return files.reduce((n, f) => n + enc.encode(f.name).length + enc.encode(f.text).length, 0);
}

// The stored project of a language, or its defaults. [{name, text}], the
// entry first; 'active' the file shown.
export function loadProject(store, lang, serverExample) {
  try {
    const v = JSON.parse(store.get(KEY(lang)) || 'null');
    if (v && Array.isArray(v.files) && v.files.length && v.files.length <= FILES_MAX) {
      const files = v.files.filter((f) => f && typeof f.name === 'string' && typeof f.text === 'string' && !pathProblem(f.name));
      if (files.length === v.files.length) {
        const active = files.some((f) => f.name === v.active) ? v.active : files[0].name;
        return { files, active };
      }
    }
  } catch { /* a damaged entry: the defaults */ }
  const old = store.get(OLD_KEY(lang)); // before projects: one file per language
  const files = projectFor(lang, serverExample);
  if (old != null) files[0].text = old;
  return { files, active: files[0].name };
}

const $ = (id) => document.getElementById(id);

/*
 * The project shown in the editor. host: {editor, store, toast(text,
 * action?), language() (the project's language id), mode() (the
 * server's editor hint for it), canEdit(), onSwitch(name)}.
 */
export class ProjectView {
  constructor(host) {
    this.host = host;
    this.lang = null;
    this.files = [];          // [{name, state | null, text}] the entry first
    this.active = null;       // name shown
    this.locked = false;      // one file only (unused since rooms share files)
    this.room = null;         // a room's tabs: {show(id), add(name), rename(id, name), remove(id), entry(id), snapshot()}
    this.saveTimer = null;
    this.el = {
      tabs: $('tabs'), add: $('file-add'), menuButton: $('file-menu-button'), menu: $('file-menu'),
      dialog: $('file-dialog'), form: $('file-form'), input: $('file-name-input'), error: $('file-error'),
      title: $('file-dialog-title'), submit: $('file-submit'), confirm: $('confirm-dialog'),
    };
    this.el.add.addEventListener('click', () => this.askNew());
    this.el.menuButton.addEventListener('click', () => this.toggleMenu());
    this.el.menuButton.addEventListener('keydown', (ev) => {
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') { ev.preventDefault(); this.toggleMenu(true); }
    });
    this.el.menu.addEventListener('click', (ev) => {
      const b = ev.target.closest('[role="menuitem"]');
      if (b) { this.closeMenu(); this.action(b.dataset.act, this.active); }
    });
    this.el.menu.addEventListener('keydown', (ev) => this.menuKey(ev));
    this.el.menu.addEventListener('focusout', (ev) => {
      if (!this.el.menu.contains(ev.relatedTarget) && ev.relatedTarget !== this.el.menuButton) this.closeMenu(false);
    });
    this.el.tabs.addEventListener('click', (ev) => {
      const t = ev.target.closest('[role="tab"]');
      if (t) this.show(t.dataset.name, true);
    });
    this.el.tabs.addEventListener('dblclick', (ev) => {
      const t = ev.target.closest('[role="tab"]');
      if (t && !this.locked) this.action('rename', t.dataset.name);
    });
    this.el.tabs.addEventListener('keydown', (ev) => this.tabKey(ev));
    this.el.input.addEventListener('input', () => { this.el.error.textContent = ''; });
    $('file-cancel').addEventListener('click', () => this.el.dialog.close());
    // Alt+1..9: the n-th file, from anywhere (the editor included).
    document.addEventListener('keydown', (ev) => {
      if (!ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      const n = /^Digit([1-9])$/.exec(ev.code)?.[1];
      if (!n || this.locked) return;
      const f = this.files[Number(n) - 1];
      if (!f) return;
      ev.preventDefault();
      this.show(f.name, true);
    }, true);
  }

  // ------------------------------------------------------------ the model

  get names() { return this.files.map((f) => f.name); }
  get entry() { return this.files[0]?.name || null; }
  file(name) { return this.files.find((f) => f.name === name) || null; }
  textOf(f) { return f.name === this.active ? this.host.editor.code : f.state ? f.state.doc.toString() : f.text; }
  // [{name, text}] the entry first: what a run sends.
  snapshot() { return this.room ? this.room.snapshot() : this.files.map((f) => ({ name: f.name, text: this.textOf(f) })); }
  get multi() { return this.files.length > 1; }

  // Loads the project of 'lang' (saving the one shown first).
  open(lang, serverExample) {
    this.saveNow();
    this.lang = lang;
    this.locked = false;
    const p = loadProject(this.host.store, lang, serverExample);
    this.files = p.files.map((f) => ({ name: f.name, text: f.text, state: null }));
    this.active = null;
    this.show(p.active, false);
    this.render();
  }

  // A room: one file, the room's document (collab) in the editor; no tabs
  // of our own (rooms share one document).
  lockTo(name) {
    this.saveNow();
    this.locked = true;
    this.files = [{ name, text: '', state: null }];
    this.active = name;
    this.render();
  }

  // A room: its files are the tabs from now on (setRoomFiles()).
  roomMode(room) {
    this.saveNow();
    this.locked = false;
    this.room = room;
    this.files = [];
    this.active = null;
    this.render();
  }

  // The room's files, [{id, name}] the entry first, and the one shown.
  setRoomFiles(list, activeId, { focus = false } = {}) {
    if (!this.room) return;
    const prev = this.active;
    this.files = list.map((f) => ({ id: f.id, name: f.name, text: '', state: null }));
    this.active = list.find((f) => f.id === activeId)?.name ?? list[0]?.name ?? null;
    if (this.active !== prev) {
      const mode = this.modeOf(this.active);
      this.host.editor.setLanguage(mode || this.host.language(), mode ? undefined : this.host.mode());
      this.host.onSwitch?.(this.active);
    }
    this.render();
    if (focus) this.host.editor.focus();
  }

  setRoomFileName(name) {
    if (!this.locked || !this.files[0]) return;
    this.files[0].name = name;
    this.active = name;
    this.render();
  }

  modeOf(name) {
    return name === this.entry ? null : modeForFile(name);
  }

  // Shows file 'name' in the editor (its own state: text, undo, cursor).
  show(name, focus) {
    const f = this.file(name);
    if (!f || this.locked) return;
    if (this.room) {
      if (name !== this.active && this.room.show(f.id)) {
        this.active = name;
        const mode = this.modeOf(name);
        this.host.editor.setLanguage(mode || this.host.language(), mode ? undefined : this.host.mode());
        this.host.onSwitch?.(name);
      }
      this.render();
      if (focus) this.host.editor.focus();
      return;
    }
    if (name !== this.active) {
      const cur = this.file(this.active);
      const next = f.state || this.host.editor.newState(f.text);
      const old = this.host.editor.swapState(next);
      if (cur) cur.state = old;
      f.state = null; // it is the editor's now
      this.active = name;
      const mode = this.modeOf(name);
      this.host.editor.setLanguage(mode || this.host.language(), mode ? undefined : this.host.mode());
      this.host.onSwitch?.(name);
      this.scheduleSave();
    }
    this.render();
    if (focus) this.host.editor.focus();
  }

  // After the editor changed: keep it (debounced).
  scheduleSave() {
    if (this.locked || !this.lang) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.saveNow(), 300);
  }

  saveNow() {
    clearTimeout(this.saveTimer);
    this.saveTimer = null;
    if (this.locked || !this.lang || !this.files.length) return;
    this.host.store.set(KEY(this.lang), JSON.stringify({
      v: 1, files: this.snapshot(), active: this.active,
    }));
  }

  // What is wrong with 'name' as the new name of 'old' (null: nothing).
  nameProblem(name, old = null) {
    const p = pathProblem(name);
    if (p) return p;
    for (const f of this.files) {
      if (f.name === old) continue;
      if (pathsClash(f.name, name)) {
        return f.name === name ? `there is a file "${name}" already` : `"${name}" clashes with "${f.name}" (a file and a directory of one name)`;
      }
    }
    return null;
  }

  add(name, text = '', show = true) {
    if (this.room) { this.room.add(name, text); return; }
    if (this.files.length >= FILES_MAX) throw new Error(`a project has at most ${FILES_MAX} files`);
    this.files.push({ name, text, state: null });
    if (show) this.show(name, true);
    this.render();
    this.scheduleSave();
  }

  rename(old, name) {
    const f = this.file(old);
    if (!f || old === name) return;
    if (this.room) { this.room.rename(f.id, name); return; }
    f.name = name;
    if (this.active === old) {
      this.active = name;
      const mode = this.modeOf(name);
      this.host.editor.setLanguage(mode || this.host.language(), mode ? undefined : this.host.mode());
      this.host.onSwitch?.(name);
    }
    this.render();
    this.scheduleSave();
  }

  setEntry(name) {
    const i = this.files.findIndex((f) => f.name === name);
    if (i <= 0) return;
    if (this.room) { this.room.entry(this.files[i].id); return; }
    const [f] = this.files.splice(i, 1);
    this.files.unshift(f);
    const mode = this.modeOf(this.active);
    this.host.editor.setLanguage(mode || this.host.language(), mode ? undefined : this.host.mode());
    this.render();
    this.scheduleSave();
  }

  remove(name) {
    if (this.files.length <= 1) return null;
    const i = this.files.findIndex((f) => f.name === name);
    if (i < 0) return null;
    const removed = { name, text: this.textOf(this.files[i]), index: i };
    if (this.active === name) this.show(this.files[i === 0 ? 1 : i - 1].name, false);
    this.files.splice(this.files.findIndex((f) => f.name === name), 1);
    this.render();
    this.scheduleSave();
    return removed;
  }

  // Replaces every file (an upload of a ZIP, a run re-opened from the
  // history); returns the old files, for an undo.
  replaceAll(files, active) {
    const old = this.snapshot();
    const oldActive = this.active;
    const cur = this.file(this.active);
    const fresh = files.map((f) => ({ name: f.name, text: f.text, state: null }));
    // the editor's state goes with the old project; the new one starts fresh
    const first = fresh.find((f) => f.name === active) || fresh[0];
    this.host.editor.swapState(this.host.editor.newState(first.text));
    if (cur) cur.state = null;
    this.files = fresh;
    this.active = first.name;
    const mode = this.modeOf(first.name);
    this.host.editor.setLanguage(mode || this.host.language(), mode ? undefined : this.host.mode());
    this.host.onSwitch?.(first.name);
    this.render();
    this.saveNow();
    return { files: old, active: oldActive };
  }

  // ------------------------------------------------------------ the tab bar

  render() {
    const tabs = this.el.tabs;
    tabs.textContent = '';
    this.files.forEach((f, i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'tab';
      b.setAttribute('role', 'tab');
      b.dataset.name = f.name;
      if (f.id != null) b.dataset.fileId = String(f.id);
      b.id = `tab-${i}`;
      const on = f.name === this.active;
      b.setAttribute('aria-selected', String(on));
      b.setAttribute('aria-controls', 'editor');
      b.tabIndex = on ? 0 : -1;
      const entry = i === 0 && this.files.length > 1;
      if (entry) {
        const m = document.createElement('span');
        m.className = 'tab-entry';
        m.setAttribute('aria-hidden', 'true');
        m.textContent = '▸';
        b.append(m);
      }
      const n = document.createElement('span');
      n.className = 'tab-name';
      n.textContent = f.name; // a name from a ZIP or a room: text, never markup
      b.append(n);
      b.setAttribute('aria-label', `${f.name}${entry ? ', entry file (runs first)' : ''}`);
      b.title = entry ? `${f.name}: the entry file (runs first)` : !this.locked ? `${f.name} (F2 renames, Delete deletes, Alt+${i + 1} shows it)` : f.name;
      tabs.append(b);
    });
    const edit = !this.locked && this.host.canEdit() && (!this.room || this.room.supported());
    this.el.add.hidden = this.locked;
    this.el.menuButton.hidden = this.locked;
    this.el.add.disabled = !edit || this.files.length >= (this.room ? ROOM_FILES_MAX : FILES_MAX);
    this.el.menuButton.disabled = !edit;
    this.el.menuButton.setAttribute('aria-label', `Actions for ${this.active || 'the file'}`);
    const only = this.files.length <= 1;
    this.el.menu.querySelector('[data-act="delete"]').disabled = only || (this.room && this.file(this.active)?.id === 0);
    this.el.menu.querySelector('[data-act="entry"]').disabled = only || this.active === this.entry;
  }

  tabKey(ev) {
    const tabs = [...this.el.tabs.querySelectorAll('[role="tab"]')];
    const i = tabs.indexOf(ev.target.closest('[role="tab"]'));
    if (i < 0) return;
    let j = -1;
    if (ev.key === 'ArrowRight') j = (i + 1) % tabs.length;
    else if (ev.key === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
    else if (ev.key === 'Home') j = 0;
    else if (ev.key === 'End') j = tabs.length - 1;
    else if (ev.key === 'F2' && !this.locked) { ev.preventDefault(); this.action('rename', tabs[i].dataset.name); return; }
    else if (ev.key === 'Delete' && !this.locked) { ev.preventDefault(); this.action('delete', tabs[i].dataset.name); return; }
    else if ((ev.key === 'F10' && ev.shiftKey) || ev.key === 'ContextMenu') { ev.preventDefault(); this.toggleMenu(true); return; }
    if (j < 0) return;
    ev.preventDefault();
    this.show(tabs[j].dataset.name, false);
    this.el.tabs.querySelector(`[role="tab"][aria-selected="true"]`)?.focus();
  }

  toggleMenu(open = this.el.menu.hidden) {
    if (this.el.menuButton.disabled) return;
    this.el.menu.hidden = !open;
    this.el.menuButton.setAttribute('aria-expanded', String(open));
    if (open) this.el.menu.querySelector('[role="menuitem"]:not(:disabled)')?.focus();
  }

  closeMenu(focusButton = true) {
    if (this.el.menu.hidden) return;
    this.el.menu.hidden = true;
    this.el.menuButton.setAttribute('aria-expanded', 'false');
    if (focusButton) this.el.menuButton.focus();
  }

  menuKey(ev) {
    const items = [...this.el.menu.querySelectorAll('[role="menuitem"]:not(:disabled)')];
    const i = items.indexOf(document.activeElement);
    if (ev.key === 'Escape') { ev.preventDefault(); this.closeMenu(); } else if (ev.key === 'ArrowDown') { ev.preventDefault(); items[(i + 1) % items.length]?.focus(); } else if (ev.key === 'ArrowUp') { ev.preventDefault(); items[(i - 1 + items.length) % items.length]?.focus(); } else if (ev.key === 'Tab') { this.closeMenu(false); }
  }

  // ------------------------------------------------------------ actions

  action(act, name) {
    if (!this.host.canEdit()) return;
    if (act === 'rename') this.askRename(name);
    else if (act === 'entry') { this.setEntry(name); this.host.toast(`${name} is the entry file: it runs first.`); }
    else if (act === 'delete') this.askDelete(name);
  }

  // The file dialog: a name, checked as it is typed against the rule.
  askName({ title, value, submit }) {
    return new Promise((resolve) => {
      const { dialog, form, input, error } = this.el;
      this.el.title.textContent = title;
      this.el.submit.textContent = submit;
      input.value = value;
      error.textContent = '';
      const done = (v) => {
        form.removeEventListener('submit', onSubmit);
        dialog.removeEventListener('close', onClose);
        resolve(v);
      };
      const onSubmit = (ev) => {
        ev.preventDefault();
        const v = input.value.trim();
        const problem = this.check?.(v);
        if (problem) { error.textContent = problem; input.focus(); return; }
        done(v);
        dialog.close();
      };
      const onClose = () => done(null);
      form.addEventListener('submit', onSubmit);
      dialog.addEventListener('close', onClose);
      dialog.showModal();
      input.focus();
      const dot = value.lastIndexOf('.');
      input.setSelectionRange(0, dot > 0 ? dot : value.length);
    });
  }

  async askNew() {
    if (!this.host.canEdit() || this.locked) return;
    const max = this.room ? ROOM_FILES_MAX : FILES_MAX;
    if (this.files.length >= max) { this.host.toast(`A ${this.room ? 'room' : 'project'} has at most ${max} files.`); return; }
    const ext = /\.[^./]+$/.exec(this.entry || '')?.[0] || '.txt';
    let base = 'untitled';
    for (let i = 2; this.nameProblem(`${base}${ext}`); i++) base = `untitled${i}`;
    this.check = (v) => this.nameProblem(v);
    const name = await this.askName({ title: 'New file', value: `${base}${ext}`, submit: 'Create' });
    if (name) this.add(name, '');
  }

  async askRename(old) {
    this.check = (v) => this.nameProblem(v, old);
    const name = await this.askName({ title: `Rename ${old}`, value: old, submit: 'Rename' });
    if (name && name !== old) this.rename(old, name);
  }

  async askDelete(name) {
    if (this.files.length <= 1) { this.host.toast('A project keeps at least one file.'); return; }
    if (this.room) {
      const f = this.file(name);
      if (f?.id === 0) { this.host.toast('The room\u2019s first file stays: empty it instead.'); return; }
      const yes = await confirmDialog(this.el.confirm, `Delete ${name}?`, 'It goes for everyone in the room, with its text.', 'Delete');
      if (yes && f) this.room.remove(f.id);
      return;
    }
    const ok = await confirmDialog(this.el.confirm, `Delete ${name}?`, `Its text goes with it. (You can bring it back with Undo in the message that follows.)`, 'Delete');
    if (!ok) return;
    const removed = this.remove(name);
    if (!removed) return;
    this.host.toast(`Deleted ${name}.`, {
      label: 'Undo',
      run: () => {
        if (this.file(removed.name) || this.files.length >= FILES_MAX) return;
        this.files.splice(Math.min(removed.index, this.files.length), 0, { name: removed.name, text: removed.text, state: null });
        this.show(removed.name, true);
        this.render();
        this.scheduleSave();
      },
    });
  }

  // ------------------------------------------------------------ ZIP

  async zipBlob() {
    const z = await writeZip(this.snapshot().map((f) => ({ name: f.name, data: f.text })));
    return new Blob([z], { type: 'application/zip' });
  }

  // Files from this device: a .zip replaces the project (after a
  // question), other files are added (one of the same name is replaced as
  // an undoable edit when it is shown). Text files only, within the caps.
  async upload(fileList) {
    const list = [...fileList];
    const zips = list.filter((f) => /\.zip$/i.test(f.name) || f.type === 'application/zip');
    if (zips.length > 1 || (zips.length && list.length > 1)) {
      this.host.toast('Upload one .zip alone, or plain files.');
      return;
    }
    if (zips.length) { await this.uploadZip(zips[0]); return; }
    const added = [];
    const skipped = [];
    for (const f of list) {
      const text = await readText(f, PROJECT_BYTES_MAX);
      if (typeof text !== 'string') { skipped.push(`${f.name} (${text.why})`); continue; }
      const existing = this.file(f.name);
      if (existing) {
        this.show(f.name, false);
        this.host.editor.setCode(text); // undoable
        added.push(f.name);
        continue;
      }
      const problem = this.nameProblem(f.name);
      if (problem) { skipped.push(`${f.name} (${problem})`); continue; }
      if (this.files.length >= FILES_MAX) { skipped.push(`${f.name} (the project is full)`); continue; }
      if (projectBytes(this.snapshot()) + enc.encode(text).length > PROJECT_BYTES_MAX) { skipped.push(`${f.name} (the project would pass ${PROJECT_BYTES_MAX / 1024} KiB)`); continue; }
      this.add(f.name, text, false);
      added.push(f.name);
    }
    if (added.length) this.show(added[added.length - 1], true);
    const msg = [added.length ? `Added ${added.join(', ')}.` : '', skipped.length ? `Not added: ${skipped.join('; ')}.` : ''].filter(Boolean).join(' ');
    if (msg) this.host.toast(msg, null, skipped.length ? 12000 : 5000);
  }

  async uploadZip(file) {
    if (file.size > ZIP_BYTES_MAX) {
      this.host.toast(`${file.name} is ${Math.round(file.size / 1024)} KiB; a project's ZIP may have at most ${ZIP_BYTES_MAX / 1024 / 1024} MiB.`, null, 10000);
      return;
    }
    let entries;
    try {
      entries = await readZip(new Uint8Array(await file.arrayBuffer()), { maxEntries: 4 * FILES_MAX, maxBytes: 4 * PROJECT_BYTES_MAX });
    } catch (e) {
      this.host.toast(`${file.name} cannot be opened: ${e instanceof ZipError ? e.message : 'it is not a ZIP archive'}.`, null, 10000);
      return;
    }
    // one top directory holding everything (what "Compress" makes of a
    // folder): its contents are the project
    const tops = new Set(entries.map((e) => e.name.split('/')[0]));
    const strip = tops.size === 1 && entries.every((e) => e.name.includes('/')) ? `${[...tops][0]}/` : '';
    const files = [];
    const skipped = [];
    for (const e of entries) {
      const name = e.name.slice(strip.length);
      if (/(^|\/)(__MACOSX|\.DS_Store)(\/|$)/.test(name)) continue;
      const problem = pathProblem(name) || (files.some((f) => pathsClash(f.name, name)) ? 'clashes with another file' : null);
      if (problem) { skipped.push(`${name} (${problem})`); continue; }
      let text;
      try { text = new TextDecoder('utf-8', { fatal: true }).decode(e.data); } catch { skipped.push(`${name} (not UTF-8 text)`); continue; }
      if (text.includes('\0')) { skipped.push(`${name} (a binary file)`); continue; }
      files.push({ name, text: text.replace(/^\ufeff/, '').replace(/\r\n?/g, '\n') });
    }
    if (!files.length) { this.host.toast(`${file.name} holds no text file this project can use.${skipped.length ? ` Skipped: ${skipped.join('; ')}.` : ''}`, null, 12000); return; }
    if (files.length > FILES_MAX) { this.host.toast(`${file.name} holds ${files.length} files; a project has at most ${FILES_MAX}.`, null, 10000); return; }
    if (projectBytes(files) > PROJECT_BYTES_MAX) { this.host.toast(`${file.name} holds more than ${PROJECT_BYTES_MAX / 1024} KiB of text: too much for one run.`, null, 10000); return; }
    // the entry: the file named like the language's, else the first one
    const entryName = this.entry && files.some((f) => f.name === this.entry) ? this.entry : files[0].name;
    files.sort((a, b) => (a.name === entryName ? -1 : b.name === entryName ? 1 : 0));
    const ok = await confirmDialog(this.el.confirm, `Open ${file.name}?`,
      `Its ${files.length} file${files.length === 1 ? '' : 's'} replace the ${this.files.length} of this project (Undo brings them back).${skipped.length ? ` Left out: ${skipped.join('; ')}.` : ''}`, 'Open');
    if (!ok) return;
    const before = this.replaceAll(files, entryName);
    this.host.toast(`Opened ${file.name}: ${files.length} file${files.length === 1 ? '' : 's'}.`, {
      label: 'Undo', run: () => this.replaceAll(before.files, before.active),
    });
  }
}

// A text file of this device: its text, or {why}.
export async function readText(file, max) {
  if (file.size > max) return { why: `${Math.round(file.size / 1024)} KiB, more than ${max / 1024} KiB` };
  let text;
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(await file.arrayBuffer()); } catch { return { why: 'not UTF-8 text' }; }
  if (text.includes('\0')) return { why: 'a binary file' };
  return text.replace(/^\ufeff/, '').replace(/\r\n?/g, '\n');
}

// A yes/no question in <dialog>; resolves true for yes.
export function confirmDialog(dlg, title, text, yes) {
  return new Promise((resolve) => {
    dlg.querySelector('.confirm-title').textContent = title;
    dlg.querySelector('.confirm-text').textContent = text;
    const ok = dlg.querySelector('.confirm-yes');
    const no = dlg.querySelector('.confirm-no');
    ok.textContent = yes;
    const done = (v) => {
      ok.removeEventListener('click', onYes);
      no.removeEventListener('click', onNo);
      dlg.removeEventListener('close', onClose);
      if (dlg.open) dlg.close();
      resolve(v);
    };
    const onYes = () => done(true);
    const onNo = () => done(false);
    const onClose = () => done(false);
    ok.addEventListener('click', onYes);
    no.addEventListener('click', onNo);
    dlg.addEventListener('close', onClose);
    dlg.showModal();
    no.focus();
  });
}
