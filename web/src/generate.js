// generate.js - code from a prompt (POST /api/generate, docs/api.md): the
// prompt bar, the answer streamed into the editor, one undoable change.
//
// While the answer streams, the new code grows at the top of the file and
// the old program stays below it, dimmed: those edits are kept out of the
// undo history (and, in a room, go to everyone like any edit). When the
// answer is complete the streamed text is taken out again and the old
// program replaced by the final code in one ordinary change: Ctrl-Z
// brings the old program back in one step, and every earlier step of the
// undo history still works (the text streamed in and taken out again maps
// every position back to where it was). Stop or an error takes the
// streamed text out and leaves the old program as it was.
import { StateEffect, StateField, Transaction } from '@codemirror/state';
import { Decoration, EditorView } from '@codemirror/view';

const $ = (id) => document.getElementById(id);

const setRegions = StateEffect.define();
// {gen: [from, to], old: [from, to]} while generating, else null; mapped
// through every change (a room member's edits too).
const regions = StateField.define({
  create: () => null,
  update(v, tr) {
    for (const e of tr.effects) if (e.is(setRegions)) return e.value;
    if (!v || !tr.docChanged) return v;
    const m = (p, assoc) => tr.changes.mapPos(p, assoc);
    return { gen: [m(v.gen[0], -1), m(v.gen[1], 1)], old: [m(v.old[0], 1), m(v.old[1], 1)] };
  },
  provide: (f) => EditorView.decorations.from(f, (v) => {
    if (!v || v.old[1] <= v.old[0]) return Decoration.none;
    return Decoration.set([Decoration.mark({ class: 'cm-superseded' }).range(v.old[0], v.old[1])]);
  }),
});

// Every editor state carries the field (editor.js adds it to its base).
export const generateExtension = [regions];

// The answer's events (server-sent events of JSON objects), as they come.
async function* events(body) {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
      if (!data) continue;
      try { yield JSON.parse(data); } catch { yield { type: 'error', code: 'malformed', message: 'the server sent something unreadable' }; }
    }
  }
}

export class Generator {
  // host: {editor, language(), code(), canEdit(), busy(on), toast(text)}
  constructor(host) {
    this.host = host;
    this.model = null;
    this.abort = null;
    this.el = {
      button: $('generate'), bar: $('genbar'), prompt: $('gen-prompt'), go: $('gen-go'), stop: $('gen-stop'),
      close: $('gen-close'), status: $('gen-status'),
    };
    this.el.button.addEventListener('click', () => this.toggle());
    this.el.close.addEventListener('click', () => this.close());
    this.el.stop.addEventListener('click', () => this.stop());
    this.el.bar.addEventListener('submit', (ev) => { ev.preventDefault(); this.run(this.el.prompt.value); });
    this.el.bar.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') { ev.preventDefault(); if (this.abort) this.stop(); else this.close(); }
    });
    document.addEventListener('keydown', (ev) => {
      if (ev.altKey && !ev.ctrlKey && !ev.metaKey && ev.code === 'KeyG' && this.model) {
        ev.preventDefault();
        this.open();
      }
    }, true);
  }

  get running() { return Boolean(this.abort); }

  // hello.generate: {model} or null. Without a model endpoint, nothing shows.
  setAvailable(info) {
    this.model = info && typeof info.model === 'string' ? info.model : null;
    this.el.button.hidden = !this.model;
    if (!this.model) { this.el.bar.hidden = true; return; }
    this.el.button.title = `Generate code from a prompt (Alt+G) with ${this.model}`;
    this.el.prompt.placeholder = `Describe the program (${this.model} writes it; Enter)`;
  }

  toggle() { if (this.el.bar.hidden) this.open(); else this.close(); }

  open() {
    if (!this.model) return;
    this.el.bar.hidden = false;
    this.el.button.setAttribute('aria-expanded', 'true');
    this.el.prompt.focus();
    this.el.prompt.select();
  }

  close() {
    if (this.abort) return;
    this.el.bar.hidden = true;
    this.el.button.setAttribute('aria-expanded', 'false');
    this.host.editor.focus();
  }

  status(text, tone = '') {
    this.el.status.textContent = text;
    this.el.status.dataset.tone = tone;
  }

  updateButtons() {
    const on = this.running;
    this.el.go.hidden = on;
    this.el.stop.hidden = !on;
    this.el.prompt.readOnly = on;
    this.el.go.disabled = !this.host.canEdit();
  }

  stop() {
    this.abort?.abort();
  }

  async run(prompt) {
    prompt = prompt.trim();
    if (!prompt || this.running) return;
    if (!this.host.canEdit()) { this.status('Read-only: ask the host for write access.', 'bad'); return; }
    const view = this.host.editor.view;
    const original = view.state.doc.length;
    const code = view.state.doc.toString();
    this.abort = new AbortController();
    this.host.busy(true);
    this.updateButtons();
    this.status('Asking the model…');
    // the regions: nothing generated yet at 0, the old program after it
    view.dispatch({ effects: setRegions.of({ gen: [0, 0], old: [0, original] }), annotations: Transaction.addToHistory.of(false) });
    let done = null;
    let failure = null;
    try {
      const res = await fetch('/api/generate', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ prompt, language: this.host.language(), code }),
        signal: this.abort.signal,
      });
      if (!res.ok || !/event-stream/.test(res.headers.get('content-type') || '')) {
        const body = await res.json().catch(() => ({}));
        throw new Error(body.error || `the server answered ${res.status}`);
      }
      this.status(`${this.model} is writing…`);
      for await (const ev of events(res.body)) {
        if (ev.type === 'delta' && typeof ev.text === 'string') this.insert(ev.text);
        else if (ev.type === 'done') done = ev;
        else if (ev.type === 'error') throw new Error(ev.message || ev.code || 'the generation failed');
      }
      if (!done) throw new Error('the answer ended before it was complete');
    } catch (e) {
      failure = this.abort.signal.aborted ? 'Stopped: the code is as it was.' : `Could not generate: ${e.message}`;
    }
    this.finish(done, failure);
  }

  insert(text) {
    const view = this.host.editor.view;
    const r = view.state.field(regions, false);
    if (!r) return;
    view.dispatch({
      changes: { from: r.gen[1], insert: text },
      annotations: [Transaction.addToHistory.of(false), Transaction.userEvent.of('input.generate.stream')],
    });
  }

  finish(done, failure) {
    const view = this.host.editor.view;
    const r = view.state.field(regions, false);
    if (r) {
      // the streamed text out again (positions map back exactly) ...
      const out = view.state.update({
        changes: { from: r.gen[0], to: r.gen[1] },
        effects: setRegions.of(null),
        annotations: [Transaction.addToHistory.of(false), Transaction.userEvent.of('input.generate.stream')],
      });
      view.dispatch(out);
      // ... and, when there is an answer, the old program replaced by it:
      // one change, one step of the undo history
      if (done && !failure) {
        const from = out.changes.mapPos(r.old[0], 1);
        const to = out.changes.mapPos(r.old[1], 1);
        view.dispatch({
          changes: { from, to, insert: done.text },
          selection: { anchor: from },
          scrollIntoView: true,
          userEvent: 'input.generate',
        });
      }
    }
    this.abort = null;
    this.host.busy(false);
    this.updateButtons();
    if (failure) {
      this.status(failure, 'bad');
      if (!this.el.bar.hidden) this.el.prompt.focus(); // to change it and try again
    }
    else if (done) {
      const lines = done.text.split('\n').length - (done.text.endsWith('\n') ? 1 : 0);
      this.status(`${lines} line${lines === 1 ? '' : 's'} written${done.truncated ? ' (cut: the answer was too long)' : ''}. Ctrl+Z takes them back.`, 'ok');
      this.host.editor.focus();
    }
  }
}
