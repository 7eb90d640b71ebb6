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
 * it once per lookup (murmur3 fmix32); a hit compares the key 4 bytes at a time.
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

export class ByteDictionary {
  /** The keys, by id (decoded as latin1, i.e. byte = char code). */
  readonly names: string[] = [];
  /**
   * Slot s = [hash, id] at 2s, 2s+1; id -1 = empty. The hash check reads the
   * same cache line. The table fields are public (read-only by convention) so a
   * parser can inline the probe of `idOfHashed`; only `add` writes them.
   */
  slots = makeSlots(1 << 12);
  /** Where key `id` starts in `arena`. */
  keyOffsets = new Int32Array(256);
  /** Byte length of key `id`. */
  keyLengths = new Int32Array(256);
  /** The keys' bytes, back to back. */
  arena = new Uint8Array(1 << 14);
  /** A DataView over `arena` (word compares). */
  arenaView = new DataView(this.arena.buffer);
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
    const mask = (slots.length >> 1) - 1;
    const len = to - from;
    let s = slotOf(h, mask);
    for (;;) {
      const id = slots[2 * s + 1]!;
      if (id < 0) break;
      if (slots[2 * s] === h && this.keyLengths[id] === len) {
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
      const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.keyOffsets = grow(this.keyOffsets);
      this.keyLengths = grow(this.keyLengths);
    }
    if (this.arenaUsed + len > this.arena.length) {
      const b = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + len));
      b.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = b;
      this.arenaView = new DataView(b.buffer);
    }
    this.arena.set(bytes.subarray(from, to), this.arenaUsed);
    this.keyOffsets[id] = this.arenaUsed;
    this.keyLengths[id] = len;
    this.arenaUsed += len;
    this.names.push(Buffer.from(bytes.buffer, bytes.byteOffset + from, len).toString('latin1'));
    this.slots[2 * slot] = h;
    this.slots[2 * slot + 1] = id;
    // Load at most 1/4: a miss probes ~1.2 slots.
    if ((id + 1) * 4 > this.slots.length >> 1) this.rehash();
    return id;
  }

  private rehash(): void {
    const old = this.slots;
    const slots = makeSlots(old.length);
    const mask = (slots.length >> 1) - 1;
    for (let o = 0; o < old.length; o += 2) {
      if (old[o + 1]! < 0) continue;
      let s = slotOf(old[o]!, mask);
      while (slots[2 * s + 1]! >= 0) s = (s + 1) & mask;
      slots[2 * s] = old[o]!;
      slots[2 * s + 1] = old[o + 1]!;
    }
    this.slots = slots;
  }
}

/** A table of `n` slots ([hash, id] pairs), all empty. */
function makeSlots(n: number): Int32Array<ArrayBuffer> {
  const t = new Int32Array(2 * n);
  for (let s = 1; s < t.length; s += 2) t[s] = -1;
  return t;
}
