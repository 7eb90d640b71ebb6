import { ChromflowError } from '@chromflow/core';

/**
 * Adjusted Rand index of two labelings of the same items (Hubert & Arabie
 * 1985; scikit-learn's `adjusted_rand_score`): 1 for identical partitions up
 * to renaming, about 0 for independent ones. Both labelings with one cluster
 * each, or each item alone in both, give 1 (scikit-learn's special case).
 */
export function adjustedRandIndex(
  a: readonly (string | number)[],
  b: readonly (string | number)[],
): number {
  if (a.length !== b.length) {
    throw new ChromflowError('VALUE', 'the two labelings have different lengths', {
      expected: `${a.length} labels`,
      found: `${b.length}`,
    });
  }
  const n = a.length;
  const pairs = (x: number): number => (x * (x - 1)) / 2;
  const joint = new Map<string, number>();
  const rows = new Map<string | number, number>();
  const cols = new Map<string | number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${typeof a[i]}:${String(a[i])}\u0000${typeof b[i]}:${String(b[i])}`;
    joint.set(key, (joint.get(key) ?? 0) + 1);
    rows.set(a[i]!, (rows.get(a[i]!) ?? 0) + 1);
    cols.set(b[i]!, (cols.get(b[i]!) ?? 0) + 1);
  }
  let sumJoint = 0;
  for (const v of joint.values()) sumJoint += pairs(v);
  let sumA = 0;
  for (const v of rows.values()) sumA += pairs(v);
  let sumB = 0;
  for (const v of cols.values()) sumB += pairs(v);
  const expected = (sumA * sumB) / pairs(n);
  const max = (sumA + sumB) / 2;
  if (max === expected) return 1;
  return (sumJoint - expected) / (max - expected);
}
