/** Result of matching RNA and ATAC cells of a paired multiome run by barcode. */
export interface BarcodePairing {
  /** For pair i: the RNA cell row and the ATAC cell row with the same barcode (RNA order). */
  rnaRows: Int32Array;
  atacRows: Int32Array;
  /** Barcodes found in only one modality: count and up to `nExamples` examples. */
  rnaOnly: { count: number; examples: string[] };
  atacOnly: { count: number; examples: string[] };
  /** Barcodes repeated within a modality (the first occurrence is used). */
  duplicates: { rna: number; atac: number };
}

/**
 * Matches cells of paired multiome data by identical barcode. Pairs come in
 * RNA order; barcodes present in one modality only are counted and a few
 * listed, so a report can say why cells were lost (e.g. ATAC fragments keep
 * non-cell barcodes, or one side carries a `-1` suffix and the other not).
 */
export function pairBarcodes(
  rnaBarcodes: readonly string[],
  atacBarcodes: readonly string[],
  nExamples = 5,
): BarcodePairing {
  const atacIndex = new Map<string, number>();
  let atacDup = 0;
  atacBarcodes.forEach((b, i) => {
    if (atacIndex.has(b)) atacDup++;
    else atacIndex.set(b, i);
  });
  const seen = new Set<string>();
  let rnaDup = 0;
  const rnaRows: number[] = [];
  const atacRows: number[] = [];
  const rnaOnly: string[] = [];
  let rnaOnlyCount = 0;
  rnaBarcodes.forEach((b, i) => {
    if (seen.has(b)) {
      rnaDup++;
      return;
    }
    seen.add(b);
    const j = atacIndex.get(b);
    if (j === undefined) {
      rnaOnlyCount++;
      if (rnaOnly.length < nExamples) rnaOnly.push(b);
    } else {
      rnaRows.push(i);
      atacRows.push(j);
    }
  });
  const atacOnly: string[] = [];
  let atacOnlyCount = 0;
  for (const b of atacIndex.keys()) {
    if (seen.has(b)) continue;
    atacOnlyCount++;
    if (atacOnly.length < nExamples) atacOnly.push(b);
  }
  return {
    rnaRows: Int32Array.from(rnaRows),
    atacRows: Int32Array.from(atacRows),
    rnaOnly: { count: rnaOnlyCount, examples: rnaOnly },
    atacOnly: { count: atacOnlyCount, examples: atacOnly },
    duplicates: { rna: rnaDup, atac: atacDup },
  };
}

/** One paragraph saying how many cells paired and which did not, for logs and reports. */
export function describePairing(p: BarcodePairing): string {
  const ex = (e: string[]): string => (e.length > 0 ? ` (e.g. ${e.join(', ')})` : '');
  return (
    `${p.rnaRows.length} cells paired by barcode; ` +
    `${p.rnaOnly.count} RNA-only${ex(p.rnaOnly.examples)}; ` +
    `${p.atacOnly.count} ATAC-only${ex(p.atacOnly.examples)}` +
    (p.duplicates.rna + p.duplicates.atac > 0
      ? `; duplicate barcodes: ${p.duplicates.rna} RNA, ${p.duplicates.atac} ATAC`
      : '')
  );
}
