import { expect, it } from 'vitest';
import { lookup3 } from '../src/hdf5-bool.js';

it('lookup3 gives the test vectors of Jenkins’ lookup3.c (driver5)', () => {
  const enc = new TextEncoder();
  expect(lookup3(new Uint8Array(0))).toBe(0xdeadbeef);
  expect(lookup3(enc.encode('Four score and seven years ago'))).toBe(0x17770551);
  expect(lookup3(enc.encode('Four score and seven years ago'), 1)).toBe(0xcd628161);
});
