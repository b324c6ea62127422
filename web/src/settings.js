// settings.js - the IDE's settings (theme, font size, indentation, line
// wrapping, Vim key bindings), kept in localStorage, applied live; the
// settings dialog and the keyboard shortcuts panel ("?").

const KEY = 'coderoom:settings';

export const DEFAULTS = Object.freeze({
  theme: 'dark',      // dark | light | system
  fontSize: 14,       // px, 10..24
  indent: 'auto',     // auto (the language's) | 2 | 4 | 8 | tab
  tabSize: 4,         // width of a tab character: 2 | 4 | 8
  wrap: false,
  vim: false,
});

const FONT_MIN = 10;
const FONT_MAX = 24;

// A stored value becomes a valid setting, or the default.
function clean(v) {
  const s = { ...DEFAULTS };
  if (!v || typeof v !== 'object') return s;
  if (['dark', 'light', 'system'].includes(v.theme)) s.theme = v.theme;
  if (Number.isInteger(v.fontSize)) s.fontSize = Math.min(FONT_MAX, Math.max(FONT_MIN, v.fontSize));
  if (['auto', '2', '4', '8', 'tab'].includes(String(v.indent))) s.indent = String(v.indent);
  if ([2, 4, 8].includes(v.tabSize)) s.tabSize = v.tabSize;
  if (typeof v.wrap === 'boolean') s.wrap = v.wrap;
  if (typeof v.vim === 'boolean') s.vim = v.vim;
  return s;
}

const DARK_QUERY = window.matchMedia('(prefers-color-scheme: dark)');

export class Settings {
  // store: {get, set}; onChange(settings, changedKeys)
  constructor(store, onChange) {
    this.store = store;
    this.onChange = onChange;
    let v = null;
    try { v = JSON.parse(store.get(KEY) || 'null'); } catch { v = null; }
    this.v = clean(v);
    DARK_QUERY.addEventListener?.('change', () => {
      if (this.v.theme === 'system') this.applyPage(['theme']);
    });
    this.applyPage(Object.keys(DEFAULTS));
  }

  get(k) { return this.v[k]; }
  get all() { return { ...this.v }; }

  // "dark" or "light": what the page shows now.
  get effectiveTheme() {
    if (this.v.theme === 'system') return DARK_QUERY.matches ? 'dark' : 'light';
    return this.v.theme;
  }

  set(changes) {
    const next = clean({ ...this.v, ...changes });
    const changed = Object.keys(next).filter((k) => next[k] !== this.v[k]);
    if (!changed.length) return;
    this.v = next;
    this.store.set(KEY, JSON.stringify(next));
    this.applyPage(changed);
  }

  applyPage(changed) {
    const root = document.documentElement;
    if (changed.includes('theme')) {
      const t = this.effectiveTheme;
      root.dataset.theme = t;
      document.querySelector('meta[name="color-scheme"]')?.setAttribute('content', t);
      document.querySelector('meta[name="theme-color"]')?.setAttribute('content', t === 'dark' ? '#14171c' : '#f6f7f9');
    }
    if (changed.includes('fontSize')) root.style.setProperty('--code-size', `${this.v.fontSize}px`);
    this.onChange?.(this.all, changed);
  }
}

const $ = (id) => document.getElementById(id);

// The settings dialog: every control changes the setting at once (no
// "save"), so what the editor shows is what is kept.
export function setupSettingsDialog(settings) {
  const dlg = $('settings-dialog');
  const form = $('settings-form');
  const sync = () => {
    const v = settings.all;
    for (const r of form.querySelectorAll('input[name="theme"]')) r.checked = r.value === v.theme;
    $('set-font').value = String(v.fontSize);
    $('set-font-value').textContent = `${v.fontSize} px`;
    $('set-indent').value = v.indent;
    $('set-tab').value = String(v.tabSize);
    $('set-wrap').checked = v.wrap;
    $('set-vim').checked = v.vim;
  };
  form.addEventListener('input', (ev) => {
    const t = ev.target;
    if (t.name === 'theme') settings.set({ theme: t.value });
    else if (t.id === 'set-font') settings.set({ fontSize: Number(t.value) });
    else if (t.id === 'set-indent') settings.set({ indent: t.value });
    else if (t.id === 'set-tab') settings.set({ tabSize: Number(t.value) });
    else if (t.id === 'set-wrap') settings.set({ wrap: t.checked });
    else if (t.id === 'set-vim') settings.set({ vim: t.checked });
    $('set-font-value').textContent = `${settings.get('fontSize')} px`;
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); dlg.close(); });
  $('settings-reset').addEventListener('click', () => { settings.set({ ...DEFAULTS }); sync(); });
  $('settings-shortcuts').addEventListener('click', () => { dlg.close(); showShortcuts(); });
  return {
    open() { sync(); dlg.showModal(); form.querySelector('input[name="theme"]:checked')?.focus(); },
  };
}

export function showShortcuts() {
  const dlg = $('shortcuts-dialog');
  if (!dlg.open) dlg.showModal();
}

export function setupShortcutsDialog() {
  const dlg = $('shortcuts-dialog');
  $('shortcuts-close').addEventListener('click', () => dlg.close());
  if (/Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent)) {
    for (const k of dlg.querySelectorAll('kbd')) if (k.textContent === 'Ctrl') k.textContent = '⌘';
  }
  // "?" opens it, except where "?" is text: the editor, the terminal, a
  // field. (Shift+/ on most layouts: the key is what counts.)
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== '?' || ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
    const t = ev.target;
    if (t.closest?.('.cm-editor, .xterm, input, textarea, select, [contenteditable="true"], dialog')) return;
    ev.preventDefault();
    showShortcuts();
  });
}
