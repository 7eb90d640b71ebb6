/**
 * A growing dictionary from byte strings to dense ids (0, 1, 2, … in order of
 * first sight), looked up without creating a JS string per lookup: a byte hash,
 * open addressing, keys kept in one byte arena. A JS string is decoded once,
 * when a key is new. This is what keeps the fragments parser off the string
 * allocator: a 10x fragments file repeats ~10^4 barcodes 10^7 times.
 *
 * The hash (`hashBytes`) reads the key 4 bytes at a time and is kept to 30
 * bits, so it stays a V8 small integer across calls (a full int32 is boxed as a
 * heap number when it crosses a call that is not inlined). The slot index mixes
 * it once per lookup (murmur3 fmix32); a short key is compared with the words
 * kept in its slot, 4 bytes at a time.
 */

/** Start value of the key hash. */
export const HASH_SEED = 5381;
/** Multiplier of the key hash (golden ratio, odd). */
export const HASH_MUL = 0x9e3779b1 | 0;

/**
 * The key hash of `bytes[from, to)`: 4 bytes at a time (little-endian int32
 * words read through `view`, a DataView over the same bytes as `bytes`), then
 * the tail bytes, folded to 30 bits (a V8 small integer). A parser inlines the
 * same steps (see `FragmentLineParser.parse`).
 */
export function hashBytes(
  bytes: Uint8Array,
  from: number,
  to: number,
  view: DataView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
): number {
  let h = HASH_SEED;
  let i = from;
  for (; i + 4 <= to; i += 4) h = Math.imul(h ^ view.getInt32(i, true), HASH_MUL);
  for (; i < to; i++) h = Math.imul(h ^ bytes[i]!, HASH_MUL);
  return (h ^ (h >>> 15)) & 0x3fffffff;
}

/** Slot of hash `h` in a table of `mask + 1` slots (fmix32: all bits reach the low ones). */
export function slotOf(h: number, mask: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x & mask;
}

/** Int32s per slot: hash, id, byte length, then the key's first `SLOT_KEY_BYTES` bytes as words. */
export const SLOT_STRIDE = 8;
/** Key bytes kept in the slot itself (little-endian int32 words, zero-padded). */
export const SLOT_KEY_BYTES = 20;

export class ByteDictionary {
  /** The keys, by id (decoded as latin1, i.e. byte = char code). */
  readonly names: string[] = [];
  /**
   * Slot s = [hash, id, length, w0 … w4] at SLOT_STRIDE·s; id -1 = empty.
   * A key of up to 20 bytes (10x barcodes are 16–18) is compared against the
   * words in its slot: one cache line per lookup. The table fields are public
   * (read-only by convention) so a parser can inline the probe of
   * `idOfHashed`; only `add` writes them.
   */
  slots = makeSlots(1 << 12);
  /** Where key `id` starts in `arena`. */
  keyOffsets = new Int32Array(256);
  /** The keys' bytes, back to back (for keys longer than the slot holds). */
  arena = new Uint8Array(1 << 14);
  private arenaUsed = 0;

  get size(): number {
    return this.names.length;
  }

  /** The id of `bytes[from, to)`, adding it when new. */
  idOf(bytes: Uint8Array, from: number, to: number): number {
    return this.idOfHashed(bytes, from, to, hashBytes(bytes, from, to));
  }

  /**
   * `idOf` with the key hash already computed by the caller (`hashBytes`),
   * so a parser that scans the key anyway does not read it twice.
   */
  idOfHashed(bytes: Uint8Array, from: number, to: number, h: number): number {
    const slots = this.slots;
    const mask = slots.length / SLOT_STRIDE - 1;
    const len = to - from;
    let s = slotOf(h, mask);
    for (;;) {
      const base = s * SLOT_STRIDE;
      const id = slots[base + 1]!;
      if (id < 0) break;
      if (slots[base] === h && slots[base + 2] === len) {
        const arena = this.arena;
        const off = this.keyOffsets[id]! - from;
        let i = from;
        while (i < to && arena[off + i] === bytes[i]) i++;
        if (i === to) return id;
      }
      s = (s + 1) & mask;
    }
    return this.add(bytes, from, to, h, s);
  }

  /** Adds the key (not present) at empty slot `slot` (found by probing from `slotOf(h)`); returns its id. */
  add(bytes: Uint8Array, from: number, to: number, h: number, slot: number): number {
    const id = this.names.length;
    const len = to - from;
    if (id >= this.keyOffsets.length) {
      const b = new Int32Array(this.keyOffsets.length * 2);
      b.set(this.keyOffsets);
      this.keyOffsets = b;
    }
    if (this.arenaUsed + len > this.arena.length) {
      const b = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + len));
      b.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = b;
    }
    this.arena.set(bytes.subarray(from, to), this.arenaUsed);
    this.keyOffsets[id] = this.arenaUsed;
    this.arenaUsed += len;
    this.names.push(Buffer.from(bytes.buffer, bytes.byteOffset + from, len).toString('latin1'));
    const base = slot * SLOT_STRIDE;
    this.slots[base] = h;
    this.slots[base + 1] = id;
    this.slots[base + 2] = len;
    for (let i = 0; i < Math.min(len, SLOT_KEY_BYTES); i++) {
      this.slots[base + 3 + (i >> 2)]! |= bytes[from + i]! << (8 * (i & 3));
    }
    // Load at most 1/2: 32 bytes a slot, a 10^4-barcode table is 1 MiB.
    if ((id + 1) * 2 > this.slots.length / SLOT_STRIDE) this.rehash();
    return id;
  }

  private rehash(): void {
    const old = this.slots;
    const slots = makeSlots((2 * old.length) / SLOT_STRIDE);
    const mask = slots.length / SLOT_STRIDE - 1;
    for (let o = 0; o < old.length; o += SLOT_STRIDE) {
      if (old[o + 1]! < 0) continue;
      let s = slotOf(old[o]!, mask);
      while (slots[s * SLOT_STRIDE + 1]! >= 0) s = (s + 1) & mask;
      slots.set(old.subarray(o, o + SLOT_STRIDE), s * SLOT_STRIDE);
    }
    this.slots = slots;
  }
}

/** A table of `n` empty slots. */
function makeSlots(n: number): Int32Array<ArrayBuffer> {
  const t = new Int32Array(SLOT_STRIDE * n);
  for (let s = 1; s < t.length; s += SLOT_STRIDE) t[s] = -1;
  return t;
}
