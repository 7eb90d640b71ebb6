/**
 * A growing dictionary from byte strings to dense ids (0, 1, 2, … in order of
 * first sight), looked up without creating a JS string per lookup: FNV-1a hash,
 * open addressing, keys kept in one byte arena. A JS string is decoded once,
 * when a key is new. This is what keeps the fragments parser off the string
 * allocator: a 10x fragments file repeats ~10^4 barcodes 10^7 times.
 */
/** FNV-1a 32-bit parameters used by `ByteDictionary`. */
export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

export class ByteDictionary {
  /** The keys, by id (decoded as latin1, i.e. byte = char code). */
  readonly names: string[] = [];
  private slots = new Int32Array(1 << 12).fill(-1);
  private hashes = new Int32Array(256);
  private keyOffsets = new Int32Array(256);
  private keyLengths = new Int32Array(256);
  private arena = new Uint8Array(1 << 14);
  private arenaUsed = 0;

  get size(): number {
    return this.names.length;
  }

  /** The id of `bytes[from, to)`, adding it when new. */
  idOf(bytes: Uint8Array, from: number, to: number): number {
    let h = FNV_OFFSET;
    for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
    return this.idOfHashed(bytes, from, to, h);
  }

  /**
   * `idOf` with the FNV-1a hash of the bytes already computed by the caller
   * (`h = Math.imul(h ^ byte, FNV_PRIME)` from `FNV_OFFSET`), so a parser that
   * scans the key anyway does not read it twice.
   */
  idOfHashed(bytes: Uint8Array, from: number, to: number, h: number): number {
    // Fields read once into locals: the probe loop runs ~10^7 times per file.
    const slots = this.slots;
    const hashes = this.hashes;
    const lengths = this.keyLengths;
    const mask = slots.length - 1;
    const len = to - from;
    let s = h & mask;
    for (;;) {
      const id = slots[s]!;
      if (id < 0) break;
      if (hashes[id] === h && lengths[id] === len) {
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

  private add(bytes: Uint8Array, from: number, to: number, h: number, slot: number): number {
    const id = this.names.length;
    const len = to - from;
    if (id >= this.hashes.length) {
      const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.hashes = grow(this.hashes);
      this.keyOffsets = grow(this.keyOffsets);
      this.keyLengths = grow(this.keyLengths);
    }
    if (this.arenaUsed + len > this.arena.length) {
      const b = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + len));
      b.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = b;
    }
    this.arena.set(bytes.subarray(from, to), this.arenaUsed);
    this.hashes[id] = h;
    this.keyOffsets[id] = this.arenaUsed;
    this.keyLengths[id] = len;
    this.arenaUsed += len;
    this.names.push(Buffer.from(bytes.buffer, bytes.byteOffset + from, len).toString('latin1'));
    this.slots[slot] = id;
    if ((id + 1) * 2 > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let id = 0; id < this.names.length; id++) {
      let s = this.hashes[id]! & mask;
      while (slots[s]! >= 0) s = (s + 1) & mask;
      slots[s] = id;
    }
    this.slots = slots;
  }
}
