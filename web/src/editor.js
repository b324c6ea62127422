// editor.js - the CodeMirror 6 editor: Python by default, other languages'
// highlighting loaded on demand (separate chunks), Ctrl/Cmd-Enter runs.
import { basicSetup } from 'codemirror';
import { EditorView, keymap } from '@codemirror/view';
import { Compartment, EditorState, Prec } from '@codemirror/state';
import { indentWithTab } from '@codemirror/commands';
import { indentUnit, StreamLanguage } from '@codemirror/language';
import { python } from '@codemirror/lang-python';
import { oneDark } from '@codemirror/theme-one-dark';
import { canonicalLanguage } from './examples.js';

// Mode name -> () => Promise<Extension>. Names are the server's `editor`
// field of a language (CodeMirror 5 mode names) or our canonical language
// ids. Python is in the main bundle; everything else is a lazily loaded chunk.
const legacy = (load) => () => load().then((m) => StreamLanguage.define(m));
const clike = (pick) => legacy(() => import('@codemirror/legacy-modes/mode/clike').then(pick));
const MODES = {
  python: () => Promise.resolve(python()),
  javascript: () => import('@codemirror/lang-javascript').then((m) => m.javascript()),
  typescript: () => import('@codemirror/lang-javascript').then((m) => m.javascript({ typescript: true })),
  c: () => import('@codemirror/lang-cpp').then((m) => m.cpp()),
  cpp: () => import('@codemirror/lang-cpp').then((m) => m.cpp()),
  rust: () => import('@codemirror/lang-rust').then((m) => m.rust()),
  java: () => import('@codemirror/lang-java').then((m) => m.java()),
  go: () => import('@codemirror/lang-go').then((m) => m.go()),
  csharp: clike((m) => m.csharp),
  kotlin: clike((m) => m.kotlin),
  scala: clike((m) => m.scala),
  dart: clike((m) => m.dart),
  shell: legacy(() => import('@codemirror/legacy-modes/mode/shell').then((m) => m.shell)),
  ruby: legacy(() => import('@codemirror/legacy-modes/mode/ruby').then((m) => m.ruby)),
  lua: legacy(() => import('@codemirror/legacy-modes/mode/lua').then((m) => m.lua)),
  perl: legacy(() => import('@codemirror/legacy-modes/mode/perl').then((m) => m.perl)),
  haskell: legacy(() => import('@codemirror/legacy-modes/mode/haskell').then((m) => m.haskell)),
  r: legacy(() => import('@codemirror/legacy-modes/mode/r').then((m) => m.r)),
  erlang: legacy(() => import('@codemirror/legacy-modes/mode/erlang').then((m) => m.erlang)),
  fortran: legacy(() => import('@codemirror/legacy-modes/mode/fortran').then((m) => m.fortran)),
  pascal: legacy(() => import('@codemirror/legacy-modes/mode/pascal').then((m) => m.pascal)),
  scheme: legacy(() => import('@codemirror/legacy-modes/mode/scheme').then((m) => m.scheme)),
  mllike: legacy(() => import('@codemirror/legacy-modes/mode/mllike').then((m) => m.oCaml)),
  gas: legacy(() => import('@codemirror/legacy-modes/mode/gas').then((m) => m.gas)),
  sql: legacy(() => import('@codemirror/legacy-modes/mode/sql').then((m) => m.sqlite)),
  swift: legacy(() => import('@codemirror/legacy-modes/mode/swift').then((m) => m.swift)),
  julia: legacy(() => import('@codemirror/legacy-modes/mode/julia').then((m) => m.julia)),
  crystal: legacy(() => import('@codemirror/legacy-modes/mode/crystal').then((m) => m.crystal)),
  d: legacy(() => import('@codemirror/legacy-modes/mode/d').then((m) => m.d)),
  tcl: legacy(() => import('@codemirror/legacy-modes/mode/tcl').then((m) => m.tcl)),
  clojure: legacy(() => import('@codemirror/legacy-modes/mode/clojure').then((m) => m.clojure)),
  elm: legacy(() => import('@codemirror/legacy-modes/mode/elm').then((m) => m.elm)),
  commonlisp: legacy(() => import('@codemirror/legacy-modes/mode/commonlisp').then((m) => m.commonLisp)),
};
// Our language ids whose mode has another name.
const MODE_OF = { bash: 'shell', sh: 'shell', ocaml: 'mllike', nasm: 'gas', sqlite3: 'sql' };

const INDENT = { go: '\t', ruby: '  ', javascript: '  ', typescript: '  ', bash: '  ', lua: '  ' };

// Ties the editor's look to the page's palette (CSS variables that follow
// the theme): on top of One Dark in the dark theme, on CodeMirror's own
// light defaults in the light one.
const themeSpec = {
  '&': { height: '100%', fontSize: 'var(--code-size)', backgroundColor: 'var(--bg-editor)', color: 'var(--fg)' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.55' },
  '.cm-gutters': { backgroundColor: 'var(--bg-editor)', borderRight: '1px solid var(--line)', color: 'var(--fg-faint)' },
  '.cm-activeLineGutter': { backgroundColor: 'transparent', color: 'var(--fg-dim)' },
  '.cm-activeLine': { backgroundColor: 'var(--active-line)' },
  '.cm-content': { padding: '10px 0' },
  '&.cm-focused': { outline: 'none' },
  '.cm-panels': { backgroundColor: 'var(--bg-raised)', color: 'var(--fg)' },
  '.cm-panels.cm-panels-bottom': { borderTop: '1px solid var(--line)' },
  '.cm-textfield': { backgroundColor: 'var(--bg)', border: '1px solid var(--line-strong)', borderRadius: '4px', color: 'var(--fg)' },
  '.cm-button': { backgroundImage: 'none', backgroundColor: 'var(--bg-button)', border: '1px solid var(--line-strong)', borderRadius: '4px', color: 'var(--fg)' },
  '.cm-vim-panel': { fontFamily: 'var(--mono)', fontSize: '12px', padding: '2px 8px' },
  '.cm-fat-cursor': { background: 'var(--accent) !important', color: 'var(--accent-fg) !important' },
  '&:not(.cm-focused) .cm-fat-cursor': { background: 'none !important', outline: '1px solid var(--accent)' },
};
const appThemeDark = EditorView.theme(themeSpec, { dark: true });
const appThemeLight = EditorView.theme(themeSpec, { dark: false });

// The Vim key bindings load on first use (a chunk of their own).
let vimLoad = null;
function loadVim() {
  if (!vimLoad) vimLoad = import('@replit/codemirror-vim').then((m) => m.vim({ status: true }));
  return vimLoad;
}

export class CodeEditor {
  // extra: extensions every state of this editor carries (generate.js's)
  constructor(parent, { doc, language, onRun, onChange, onCursor, settings, extra = [] }) {
    this.langCompartment = new Compartment();
    this.indentCompartment = new Compartment();
    this.roCompartment = new Compartment();
    this.themeCompartment = new Compartment();
    this.wrapCompartment = new Compartment();
    this.vimCompartment = new Compartment();
    this.langExt = [];
    this.readOnly = false;
    this.languageId = null;
    this.loadSeq = 0;
    this.settings = { theme: 'dark', indent: 'auto', tabSize: 4, wrap: false, vim: false, ...(settings || {}) };
    this.vimExt = [];
    const runKey = Prec.highest(keymap.of([
      { key: 'Mod-Enter', run: () => { onRun(); return true; }, preventDefault: true },
    ]));
    // Everything but the document and the per-document extensions (collab).
    this.base = () => [
      this.vimCompartment.of(this.vimExt),
      runKey,
      basicSetup,
      keymap.of([indentWithTab]),
      this.langCompartment.of(this.langExt),
      this.indentCompartment.of(this.indentExt()),
      this.roCompartment.of(readOnlyExt(this.readOnly)),
      this.themeCompartment.of(this.themeExt()),
      this.wrapCompartment.of(this.settings.wrap ? EditorView.lineWrapping : []),
      extra,
      EditorView.contentAttributes.of({ 'aria-label': 'Code editor', 'aria-multiline': 'true' }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged && this.onChange) this.onChange(u.state.doc.toString(), u);
        if ((u.selectionSet || u.docChanged) && onCursor) {
          const head = u.state.selection.main.head;
          const line = u.state.doc.lineAt(head);
          onCursor(line.number, head - line.from + 1);
        }
      }),
    ];
    this.onChange = onChange;
    this.view = new EditorView({ parent, state: EditorState.create({ doc, extensions: this.base() }) });
    this.setLanguage(language);
    if (this.settings.vim) this.applySettings(this.settings, ['vim']);
  }

  get code() { return this.view.state.doc.toString(); }

  themeExt() {
    return this.settings.theme === 'light' ? [Prec.high(appThemeLight)] : [oneDark, Prec.high(appThemeDark)];
  }

  indentExt() {
    const s = this.settings;
    const unit = s.indent === 'tab' ? '\t'
      : s.indent === 'auto' ? INDENT[this.languageId] || '    '
      : ' '.repeat(Number(s.indent));
    return [indentUnit.of(unit), EditorState.tabSize.of(s.tabSize)];
  }

  // The effects that bring any state to the current configuration (a file
  // kept while another was shown missed the changes made meanwhile).
  configEffects() {
    return [
      this.vimCompartment.reconfigure(this.vimExt),
      this.langCompartment.reconfigure(this.langExt),
      this.indentCompartment.reconfigure(this.indentExt()),
      this.roCompartment.reconfigure(readOnlyExt(this.readOnly)),
      this.themeCompartment.reconfigure(this.themeExt()),
      this.wrapCompartment.reconfigure(this.settings.wrap ? EditorView.lineWrapping : []),
    ];
  }

  // s: {theme ('dark'|'light', the effective one), indent, tabSize, wrap, vim}
  async applySettings(s, changed) {
    this.settings = { ...this.settings, ...s };
    if (changed.includes('vim')) {
      if (s.vim) {
        try { this.vimExt = await loadVim(); } catch (e) { console.warn('coderoom: Vim bindings failed to load', e); this.vimExt = []; }
        if (!this.settings.vim) this.vimExt = []; // switched off meanwhile
      } else {
        this.vimExt = [];
      }
    }
    this.view.dispatch({ effects: this.configEffects() });
  }

  // Replaces the whole text as one undoable change.
  setCode(text) {
    const { state } = this.view;
    this.view.dispatch({
      changes: { from: 0, to: state.doc.length, insert: text },
      selection: { anchor: 0 },
      scrollIntoView: true,
    });
  }

  // A new state for 'text' with this editor's configuration, plus
  // 'extensions' for this document only (collab, remote cursors).
  newState(text, extensions = []) {
    return EditorState.create({ doc: text, extensions: [this.base(), extensions] });
  }

  // Shows 'state' (another file of the project, with its own undo
  // history and selection); returns the state it replaces.
  swapState(state) {
    const old = this.view.state;
    const hadFocus = this.view.hasFocus;
    this.view.setState(state);
    this.view.dispatch({ effects: this.configEffects() });
    if (hadFocus) this.view.focus();
    return old;
  }

  // A new editor state (a room's document, after a join or a resync): text,
  // plus 'extensions' for this document only (collab, remote cursors). The
  // language, indentation and read-only setting carry over; the undo history
  // does not (it belonged to the old document). The cursor stays near where
  // it was, and the scroll position too.
  setDocument(text, extensions = []) {
    const old = this.view.state;
    const clamp = (n) => Math.min(Math.max(0, n), text.length);
    const sel = old.selection.main;
    const hadFocus = this.view.hasFocus;
    const top = this.view.scrollDOM.scrollTop;
    this.view.setState(EditorState.create({
      doc: text,
      selection: { anchor: clamp(sel.anchor), head: clamp(sel.head) },
      extensions: [this.base(), extensions],
    }));
    this.view.scrollDOM.scrollTop = top;
    if (hadFocus) this.view.focus();
  }

  // Read-only: the document cannot be changed from the keyboard, the
  // clipboard or drag and drop (EditorState.readOnly); the cursor still
  // moves and text can be selected and copied. No on-screen keyboard pops
  // up on phones (inputmode none).
  setReadOnly(ro) {
    if (ro === this.readOnly) return;
    this.readOnly = ro;
    this.view.dispatch({ effects: this.roCompartment.reconfigure(readOnlyExt(ro)) });
  }

  // id: a language id; mode: the server's `editor` hint for it, if any.
  async setLanguage(id, mode) {
    const k = canonicalLanguage(id);
    this.languageId = k;
    const seq = ++this.loadSeq;
    this.view.dispatch({ effects: this.indentCompartment.reconfigure(this.indentExt()) });
    const load = (mode && MODES[mode]) || MODES[k] || MODES[MODE_OF[k]];
    let ext = [];
    if (load) {
      try { ext = await load(); } catch (e) { console.warn('coderoom: highlighting for', k, 'failed to load', e); }
    }
    if (seq !== this.loadSeq) return; // a later switch won
    this.langExt = ext;
    this.view.dispatch({ effects: this.langCompartment.reconfigure(ext) });
  }

  focus() { this.view.focus(); }
}

function readOnlyExt(ro) {
  return ro ? [EditorState.readOnly.of(true), EditorView.contentAttributes.of({ inputmode: 'none' })] : [];
}
