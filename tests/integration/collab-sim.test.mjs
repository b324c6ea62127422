// collab-sim.test.mjs - real @codemirror/collab clients (EditorState with
// the collab() extension, sendableUpdates / receiveUpdates) editing one
// document through the C authority (src/room/collab.c, behind
// build/tests/collab_oracle), over a hostile network: pushes that reach
// the server at stale versions, requests lost, pushes re-sent with updates
// the server already has, a store that fails (prepare + abort), clients
// so far behind they must resync.
//
// Every push also goes to a reference authority written with the real
// rebaseUpdates (the server of CodeMirror's collab guide, with rebasing):
// the C authority must accept exactly the same updates, byte for byte, and
// refuse exactly the same pushes. At the end every client must hold the
// server's text; in the insert-only runs every token typed must appear
// exactly once (no edit lost or doubled). Selections sent at old versions
// are mapped by the C authority and compared with SelectionRange.map.
//
// The clients hold the updates that arrive while their own push is in
// flight and feed them to receiveUpdates() together with the answer (see
// docs/protocol.md, "Collaborative editing"): with server-side rebasing,
// applying them one batch at a time makes clients diverge (ChangeSet.map
// over a composition and over its parts can differ), which the last test
// here shows with the real library.
//
//   COLLAB_SEED=N node --test tests/integration/collab-sim.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeSet, EditorSelection, EditorState, Text } from '@codemirror/state';
import { collab, getSyncedVersion, rebaseUpdates, receiveUpdates, sendableUpdates } from '@codemirror/collab';
import { boundaries, prng, randText, startOracle } from '../lib/collab.mjs';

const STEPS = Number(process.env.COLLAB_STEPS || 2500);

class Stop extends Error {}

/* The reference authority: CodeMirror's guide server plus rebaseUpdates,
 * with the same window rule as the C one (the newest maxLog updates). */
class RefAuthority {
  constructor(doc, maxLog) {
    this.doc = doc; // a Text
    this.updates = [];
    this.maxLog = maxLog;
  }

  get version() { return this.updates.length; }

  get oldest() { return Math.max(0, this.updates.length - this.maxLog); }

  push(version, updates) {
    if (version > this.version || version < this.oldest) return { error: 'ESTALE' };
    const parsed = updates.map((u) => ({ clientID: u.clientID, changes: ChangeSet.fromJSON(u.changes) }));
    const rebased = rebaseUpdates(parsed, this.updates.slice(version));
    for (const u of rebased) {
      this.doc = u.changes.apply(this.doc);
      this.updates.push(u);
    }
    return { accepted: rebased.map((u) => ({ clientID: u.clientID, changes: u.changes.toJSON() })) };
  }

  lengthAt(v) { return v === this.version ? this.doc.length : this.updates[v].changes.length; }
}

function makeClient(id, doc, version) {
  return {
    id,
    state: EditorState.create({ doc, extensions: [collab({ startVersion: version, clientID: id })] }),
    inflight: null, // the push sent and not yet answered: {version, updates, arrived}
    tokens: 0,
  };
}

const wire = (updates) => updates.map((u) => ({ clientID: u.clientID, changes: u.changes.toJSON() }));

/* Is pos inside a token "[...]" of s? */
function insideToken(s, pos) {
  const open = s.lastIndexOf('[', pos - 1), close = s.lastIndexOf(']', pos - 1);
  return open > close;
}

/* A local edit: a token typed at a free spot (insert-only runs), or a
 * random insertion, deletion or replacement at code point boundaries. */
function localEdit(r, c, mode) {
  const doc = c.state.doc.toString();
  const pos = boundaries(doc);
  let change;
  if (mode === 'tokens') {
    const free = pos.filter((p) => !insideToken(doc, p));
    const at = r.pick(free);
    const token = `[${c.id}#${c.tokens++}|${r.pick(['', '😀', '中', 'é', '🇫🇷', '\n'])}]`;
    change = { from: at, insert: token };
  } else {
    let a = r.pick(pos), b = r.pick(pos);
    if (a > b) [a, b] = [b, a];
    if (b - a > 12) b = a + 12;
    if (!pos.includes(b)) b = a;
    change = { from: a, to: r.chance(0.5) ? a : b, insert: r.chance(0.25) ? '' : randText(r, r.range(1, 4), { noCR: true, noNUL: true }) };
  }
  c.state = c.state.update({ changes: change }).state;
}

async function run({ seed, mode, clients: nClients, maxLog, initial, t, hold = true, strict = true }) {
  const r = prng(seed);
  const at = (step) => `(seed ${seed}, ${mode}, step ${step}; replay with COLLAB_SEED=${seed})`;
  const o = startOracle();
  const stats = { pushes: 0, estale: 0, dups: 0, rebased: 0, aborted: 0, lost: 0, resyncs: 0, selections: 0, refused: 0, diverged: 0 };
  try {
    const caps = { max_log: maxLog, max_updates: Math.min(100, maxLog), max_log_bytes: 1 << 26 };
    const made = await o.call({ op: 'new', id: 0, doc: initial, version: 0, caps });
    assert.ok(!made.error, `new: ${made.error}`);
    const st = await o.call({ op: 'state', id: 0 });
    // The C authority's text is what a client loading the raw text holds.
    const loaded = EditorState.create({ doc: initial }).doc;
    assert.equal(st.doc, loaded.toString(), 'line breaks normalised as CodeMirror does');
    const ref = new RefAuthority(loaded, maxLog);
    const clients = [];
    for (let i = 0; i < nClients; i++) clients.push(makeClient(`c${i}`, st.doc, 0));

    // The server receives a client's push (or the network loses it, or
    // the store fails and the push is aborted).
    const arrive = async (c, step, { lose = false, abort = false } = {}) => {
      const p = c.inflight;
      p.arrived = true;
      if (lose) { stats.lost++; return; }
      if (abort) { // the authority must be as before
        const res = await o.call({ op: 'prepare', id: 0, version: p.version, updates: p.updates });
        if (!res.error) {
          await o.call({ op: 'abort', id: 0 });
          stats.aborted++;
        }
        return;
      }
      const want = ref.push(p.version, p.updates);
      const got = await o.call({ op: 'push', id: 0, version: p.version, updates: p.updates });
      stats.pushes++;
      if (want.error) {
        assert.equal(got.error, want.error, `push refused alike ${at(step)}`);
        stats.estale++;
        return;
      }
      if (!strict && got.error) { stats.refused++; throw new Stop(); }
      assert.ok(!got.error, `push refused: ${got.error} ${JSON.stringify(p).slice(0, 3000)} ${at(step)}`);
      assert.deepEqual(got.accepted, want.accepted, `accepted updates ${at(step)}`);
      assert.equal(got.version, ref.version, `version ${at(step)}`);
      if (got.accepted.length < p.updates.length) stats.dups++;
      if (p.version < got.base) stats.rebased++;
      // what the store gets: the canonical JSON of each accepted update
      for (let i = 0; i < got.stored.length; i++)
        assert.equal(got.stored[i].json, JSON.stringify(want.accepted[i].changes), `stored JSON ${at(step)}`);
    };

    const pull = async (c, step) => {
      const v = getSyncedVersion(c.state);
      const res = await o.call({ op: 'pull', id: 0, version: v });
      if (res.error) {
        // too far behind (or, never here, ahead): reload, as a real
        // client does on resync; its unconfirmed edits are gone
        assert.equal(res.error, 'ESTALE', `pull ${at(step)}`);
        assert.ok(v < ref.oldest, `resync only when behind the window ${at(step)}`);
        const s = await o.call({ op: 'state', id: 0 });
        const fresh = makeClient(c.id, s.doc, s.version);
        c.state = fresh.state;
        c.inflight = null;
        stats.resyncs++;
        return;
      }
      assert.deepEqual(res.updates, wire(ref.updates.slice(v)), `pulled updates ${at(step)}`);
      const updates = res.updates.map((u) => ({ clientID: u.clientID, changes: ChangeSet.fromJSON(u.changes) }));
      c.state = receiveUpdates(c.state, updates).state;
    };

    const selection = async (step) => {
      // a selection made at some version still in the window
      const v = ref.oldest + r.int(ref.version - ref.oldest + 1);
      const len = ref.lengthAt(v);
      const anchor = r.int(len + 1), head = r.chance(0.3) ? anchor : r.int(len + 1);
      let range = EditorSelection.range(anchor, head);
      for (const u of ref.updates.slice(v)) range = range.map(u.changes);
      const got = await o.call({ op: 'map_selection', id: 0, version: v, anchor, head });
      assert.deepEqual(got, { anchor: range.anchor, head: range.head }, `selection ${anchor}-${head}@${v} ${at(step)}`);
      stats.selections++;
    };

    // Each client works like the peer of CodeMirror's collab guide: one
    // push in flight at a time, made of all its sendable updates at its
    // synced version; updates from others arrive (pull) at any time, also
    // while its push is in flight, so the push reaches the server stale.
    // Once it is answered, or lost and timed out, the client pushes what
    // is still unconfirmed again, which may include updates the server
    // accepted and the client has not received yet: the server drops
    // those.
    const send = (c) => {
      const u = sendableUpdates(c.state);
      // at most max_updates at a time: the first ones of the chain
      if (!c.inflight && u.length)
        c.inflight = { version: getSyncedVersion(c.state), updates: wire(u.slice(0, caps.max_updates)), arrived: false };
    };
    for (let step = 0; step < STEPS; step++) {
      const c = r.pick(clients);
      const x = r.next();
      if (x < 0.35) {
        localEdit(r, c, mode);
      } else if (x < 0.5) {
        send(c);
      } else if (x < 0.65) {
        if (c.inflight && !c.inflight.arrived) await arrive(c, step, { lose: r.chance(0.1), abort: r.chance(0.05) });
      } else if (x < 0.75) {
        if (c.inflight?.arrived) c.inflight = null; // answered, or timed out
      } else if (x < 0.95) {
        if (!hold || !c.inflight) await pull(c, step);
      } else {
        await selection(step);
      }
    }

    // Quiet network: everyone sends what is left and catches up.
    for (let round = 0; round < 50; round++) {
      let busy = false;
      for (const c of clients) {
        if (c.inflight && !c.inflight.arrived) await arrive(c, 'flush');
        c.inflight = null;
        send(c);
        if (c.inflight) {
          busy = true;
          await arrive(c, 'flush');
          c.inflight = null;
        }
        await pull(c, 'flush');
      }
      if (!busy) break;
    }
    const fin = await o.call({ op: 'state', id: 0 });
    assert.equal(fin.doc, ref.doc.toString(), `C and reference authorities agree ${at('end')}`);
    assert.equal(fin.version, ref.version);
    if (!strict) {
      stats.diverged = clients.filter((c) => c.state.doc.toString() !== fin.doc).length;
      return stats;
    }
    for (const c of clients) {
      assert.equal(sendableUpdates(c.state).length, 0, `${c.id} has nothing left to send`);
      assert.equal(getSyncedVersion(c.state), fin.version, `${c.id} is synced`);
      assert.equal(c.state.doc.toString(), fin.doc, `${c.id} converged ${at('end')}`);
    }
    if (mode === 'tokens' && !stats.resyncs) {
      // every token typed is there exactly once
      for (const c of clients) {
        for (let k = 0; k < c.tokens; k++) {
          const re = new RegExp(`\\[${c.id}#${k}\\|[^\\]]*\\]`, 'gu');
          const n = (fin.doc.match(re) || []).length;
          assert.equal(n, 1, `token ${c.id}#${k} appears ${n} times ${at('end')}`);
        }
      }
    }
    t.diagnostic(`${mode}: ${JSON.stringify(stats)}, final version ${fin.version}, ${fin.doc.length} chars`);
    return stats;
  } catch (e) {
    if (e instanceof Stop) return stats;
    throw e;
  } finally {
    await o.close();
  }
}

/* Three seeds per test; COLLAB_SEED=N runs that one seed alone. */
const seeds = (...defs) => (process.env.COLLAB_SEED ? [Number(process.env.COLLAB_SEED)] : defs);

test('insert-only clients: every token once, everyone converges', async (t) => {
  for (const seed of seeds(7001, 7002, 7003)) {
    const stats = await run({
      seed, mode: 'tokens', clients: 4, maxLog: 100000,
      initial: 'int main() {\r\n  return 0; // 😀 中文 e\u0301\r\n}\n', t,
    });
    assert.ok(stats.rebased > 10 && stats.dups > 0 && stats.lost > 0 && stats.aborted > 0,
      `the network was hostile enough: ${JSON.stringify(stats)}`);
  }
});

test('random edits, deletions and replacements converge and match the reference', async (t) => {
  for (const seed of seeds(8001, 8002, 8003)) {
    const stats = await run({
      seed, mode: 'random', clients: 5, maxLog: 100000,
      initial: '👨‍👩‍👧 family\r\nline two\rline three 🇫🇷\n', t,
    });
    assert.ok(stats.rebased > 10 && stats.dups > 0 && stats.selections > 10, JSON.stringify(stats));
  }
});

test('a small log window: clients too far behind resync and still converge', async (t) => {
  const stats = await run({ seed: seeds(9001)[0], mode: 'random', clients: 6, maxLog: 8, initial: 'short 文', t });
  assert.ok(stats.estale > 0 && stats.resyncs > 0, `the window was outrun: ${JSON.stringify(stats)}`);
});

test('why clients hold updates during a push: without it, real clients diverge', async (t) => {
  // The same clients, but applying every update as soon as it arrives,
  // also while their push is in flight. Both authorities still agree with
  // each other push by push; what goes wrong is on the clients' side
  // (or the rebased push would cut a surrogate pair, which the C authority
  // refuses). If a future @codemirror/collab makes this converge, this
  // test fails: then the rule in docs/protocol.md can be relaxed.
  let problems = 0;
  for (const seed of seeds(8001, 8002, 8003, 8004, 8005)) {
    const s = await run({ seed, mode: 'random', clients: 5, maxLog: 100000, initial: 'abc 😀\n', t, hold: false, strict: false });
    t.diagnostic(`seed ${seed}: ${s.diverged} clients diverged, ${s.refused} push refused`);
    problems += s.diverged + s.refused;
  }
  assert.ok(problems > 0, 'no divergence without holding updates: revisit the rule');
});
