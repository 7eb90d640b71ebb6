import type { RocCurve } from '@chromflow/core';

/**
 * At most `maxPoints` points of a curve (always keeping both ends), so a
 * figure of a million-entry block stays small; the shape is unchanged at
 * screen resolution.
 */
export function thinCurve(curve: RocCurve, maxPoints = 400): { fpr: number[]; tpr: number[] } {
  const n = curve.fpr.length;
  if (n <= maxPoints) return { fpr: Array.from(curve.fpr), tpr: Array.from(curve.tpr) };
  const fpr: number[] = [];
  const tpr: number[] = [];
  for (let k = 0; k < maxPoints; k++) {
    const i = Math.round((k * (n - 1)) / (maxPoints - 1));
    fpr.push(curve.fpr[i]!);
    tpr.push(curve.tpr[i]!);
  }
  return { fpr, tpr };
}
