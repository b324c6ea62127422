// collab-oracle.test.mjs - the C changesets (src/room/changeset.c, through
// build/tests/collab_oracle) against the real @codemirror/state on
// thousands of random cases: random documents with emoji, ZWJ sequences,
// flags, CJK, combining marks, CRLF, NUL; random changes of every shape.
// Each case compares parse + serialise, lengths, sections, apply, compose,
// composeDesc, map and mapDesc (before false and true), and mapPos.
//
//   COLLAB_SEED=N COLLAB_CASES=M node --test tests/integration/collab-oracle.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeSet } from '@codemirror/state';
import { prng, randChanges, randText, seedFrom, startOracle, textOf } from '../lib/collab.mjs';

const CASES = Number(process.env.COLLAB_CASES || 3000);

/* Is position pos of s between the two halves of a surrogate pair? */
function insidePair(s, pos) {
  const hi = s.charCodeAt(pos - 1), lo = s.charCodeAt(pos);
  return pos > 0 && pos < s.length && hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff;
}

/* The library's own canonical form of a set: its changes, one spec per
 * section, rebuilt by ChangeSet.of. */
function canonical(cs) {
  const specs = [];
  cs.iterChanges((fromA, toA, _fromB, _toB, insert) => specs.push({ from: fromA, to: toA, insert }), true);
  return ChangeSet.of(specs, cs.length);
}

/* An equivalent but non-canonical JSON form of a set: kept and deleted
 * stretches cut in two, empty entries and split insertions added. */
function scramble(r, cs) {
  const out = [];
  for (const part of cs.toJSON()) {
    if (r.chance(0.15)) out.push(r.pick([0, [0], [0, '']]));
    if (typeof part === 'number' && part > 1 && r.chance(0.5)) {
      const k = r.range(1, part - 1);
      out.push(k, part - k);
    } else if (Array.isArray(part) && part.length === 1 && part[0] > 1 && r.chance(0.5)) {
      const k = r.range(1, part[0] - 1);
      out.push([k], [part[0] - k]);
    } else if (Array.isArray(part) && part[0] === 0 && part.length === 2 && part[1].length > 1 && r.chance(0.5)) {
      // split at a code point boundary
      const cps = [...part[1]];
      const k = r.range(1, cps.length - 1);
      out.push([0, cps.slice(0, k).join('')], [0, cps.slice(k).join('')]);
    } else {
      out.push(part);
    }
  }
  return out;
}

test(`changesets agree with @codemirror/state on ${CASES} random cases`, async () => {
  const seed = seedFrom(20250601);
  const r = prng(seed);
  const o = startOracle();
  const seen = { refused: 0, applied: 0, mapped: 0, composed: 0, composeRefused: 0, outOfRange: 0 };
  try {
    for (let i = 0; i < CASES; i++) {
      const at = `(seed ${seed}, case ${i}; replay with COLLAB_SEED=${seed})`;
      const doc = randText(r, r.int(40));
      const a = randChanges(r, doc);

      // parse -> serialise, lengths, sections
      const p = await o.call({ op: 'parse', json: a.toJSON() });
      assert.deepEqual(p.json, a.toJSON(), `parse round trip ${at}`);
      assert.equal(p.length, a.length, `length ${at}`);
      assert.equal(p.new_length, a.newLength, `newLength ${at}`);
      assert.deepEqual(p.sections, a.sections, `sections ${at}`);

      // non-canonical input comes out as the library's canonical form
      const messy = scramble(r, a);
      const q = await o.call({ op: 'parse', json: messy });
      assert.deepEqual(q.json, canonical(ChangeSet.fromJSON(messy)).toJSON(),
        `canonical form of ${JSON.stringify(messy)} ${at}`);

      // apply
      const after = a.apply(textOf(doc)).toString();
      const ap = await o.call({ op: 'apply', doc, changes: a.toJSON() });
      assert.equal(ap.doc, after, `apply ${at}`);
      seen.applied++;

      // a change with boundaries anywhere, inside surrogate pairs too:
      // refused exactly when a boundary splits a pair (which is always the
      // case when the library's result is ill-formed; a deletion from the
      // middle of one pair to the middle of another can glue a new
      // character together, and is refused too)
      const x = randChanges(r, doc, { anywhere: true });
      const xAfter = x.apply(textOf(doc)).toString();
      const xp = await o.call({ op: 'apply', doc, changes: x.toJSON() });
      let splits = false;
      x.iterChanges((fromA, toA) => { splits ||= insidePair(doc, fromA) || insidePair(doc, toA); });
      if (!xAfter.isWellFormed()) assert.ok(splits, `ill-formed without a split? ${at}`);
      if (splits) {
        assert.equal(xp.error, 'EINVAL', `a change that splits a surrogate pair must be refused ${at}`);
        seen.refused++;
      } else {
        assert.equal(xp.doc, xAfter, `apply (anywhere) ${at}`);
      }

      // compose / composeDesc with a change on the result
      const b = randChanges(r, after);
      const c = await o.call({ op: 'compose', a: a.toJSON(), b: b.toJSON() });
      assert.deepEqual(c.json, a.compose(b).toJSON(), `compose ${at}`);
      const cd = await o.call({ op: 'compose_desc', a: a.toJSON(), b: b.toJSON() });
      assert.deepEqual(cd.sections, a.desc.composeDesc(b.desc).sections, `composeDesc ${at}`);
      seen.composed++;

      // a change on the result that may cut the pairs a inserted: the C
      // compose is refused exactly when b keeps a piece of a's text that
      // begins or ends inside a pair (the library makes half a pair, or
      // glues two halves into a new character); dropping both halves, or
      // cutting a pair of the old text, is fine for the set (applying it
      // is another matter, checked above)
      const bx = randChanges(r, after, { anywhere: true });
      const lib = a.compose(bx).toJSON();
      const cx = await o.call({ op: 'compose', a: a.toJSON(), b: bx.toJSON() });
      const inserted = [];
      a.iterChangedRanges((_fa, _ta, fromB, toB) => inserted.push([fromB, toB]));
      let broken = false;
      bx.iterGaps((posA, _posB, len) => {
        for (const q of [posA, posA + len])
          if (insidePair(after, q) && inserted.some(([f, t]) => q > f && q < t)) broken = true;
      });
      if (broken) {
        assert.equal(cx.error, 'EINVAL', `compose keeping half a pair ${at}`);
        seen.composeRefused++;
      } else {
        assert.deepEqual(cx.json, lib, `compose (anywhere) ${at}`);
      }

      // map / mapDesc over a concurrent change, both orders
      const m = randChanges(r, doc);
      for (const before of [false, true]) {
        const mp = await o.call({ op: 'map', a: a.toJSON(), b: m.toJSON(), before });
        assert.deepEqual(mp.json, a.map(m, before).toJSON(), `map before=${before} ${at}`);
        const md = await o.call({ op: 'map_desc', a: a.toJSON(), b: m.toJSON(), before });
        assert.deepEqual(md.sections, a.desc.mapDesc(m.desc, before).sections, `mapDesc before=${before} ${at}`);
      }
      seen.mapped++;

      // mapPos, past the end too
      for (let k = 0; k < 3; k++) {
        const pos = r.int(a.length + 2);
        const assoc = r.pick([-1, 1]);
        const mp = await o.call({ op: 'map_pos', changes: a.toJSON(), pos, assoc });
        if (pos > a.length) {
          assert.throws(() => a.mapPos(pos, assoc), RangeError);
          assert.equal(mp.error, 'EINVAL', `mapPos past the end ${at}`);
          seen.outOfRange++;
        } else {
          assert.equal(mp.pos, a.mapPos(pos, assoc), `mapPos(${pos}, ${assoc}) ${at}`);
        }
      }
    }
  } finally {
    await o.close();
  }
  // The generator must have reached the interesting cases.
  assert.ok(seen.refused > CASES / 50, `ill-formed cases reached: ${JSON.stringify(seen)}`);
  assert.ok(seen.outOfRange > 0, `out-of-range mapPos reached: ${JSON.stringify(seen)}`);
  assert.ok(seen.composeRefused > 0, `compose cutting pairs reached: ${JSON.stringify(seen)}`);
});

test('the CodeMirror vectors of tests/data/collab apply through the oracle', async () => {
  // Cheap end-to-end check that the oracle speaks the same JSON as the
  // vectors the unit tests use.
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { repoRoot } = await import('../lib/server.mjs');
  const dir = path.join(repoRoot, 'tests/data/collab');
  const o = startOracle();
  try {
    for (const f of ['changeset-vectors.json', 'changeset-vectors-illformed.json']) {
      for (const v of JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))) {
        const res = await o.call({ op: 'apply', doc: v.doc_before, changes: v.changes_json });
        if (v.well_formed_utf16 === false) assert.equal(res.error, 'EINVAL', v.name);
        else assert.equal(res.doc, v.doc_after, v.name);
      }
    }
  } finally {
    await o.close();
  }
});
