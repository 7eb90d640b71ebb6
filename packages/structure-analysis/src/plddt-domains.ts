import type { Table } from 'apache-arrow';
import { makeTable } from '@chromflow/core';
import type { ProteinChain } from './protein-chain.js';
import { type PlddtSegment, type SegmentOptions, segmentPlddt } from './plddt-segments.js';

export const PLDDT_DOMAINS_ENCODING = 'plddt-domains';
export const PLDDT_DOMAINS_VERSION = '1';

export interface DomainCallOptions extends SegmentOptions {
  /** Count H as positively charged besides K and R. Default false. */
  includeHistidine?: boolean;
  /** How many of the top-ranked high-confidence domains are flagged as DNA-binding. Default 1. */
  dbdCount?: number;
}

/** One segment with its DNA-binding-domain call. */
export interface PlddtDomain extends PlddtSegment {
  /** Author residue number (1-based, UniProt numbering for AlphaFold models) of the first residue. */
  residueStart: number;
  /** Author residue number of the last residue (inclusive). */
  residueEnd: number;
  /** Mean raw pLDDT (0–100) over the segment. */
  meanPlddt: number;
  /** Fraction of K, R (and H when asked) residues. */
  positiveRatio: number;
  /** 1 = highest positive ratio among high-confidence segments; 0 for low-confidence ones. */
  dbdRank: number;
  isDbd: boolean;
  sequence: string;
}

/** Fraction of positively charged residues (K, R, optionally H) in `seq`. */
export function positiveRatioOf(seq: string, includeHistidine = false): number {
  if (seq.length === 0) return 0;
  let k = 0;
  for (const c of seq) if (c === 'K' || c === 'R' || (includeHistidine && c === 'H')) k++;
  return k / seq.length;
}

/**
 * Segments a chain by pLDDT (GET) and ranks its high-confidence segments by
 * their positive-charge ratio; the top `dbdCount` are called DNA-binding.
 */
export function callPlddtDomains(
  chain: ProteinChain,
  options: DomainCallOptions = {},
): PlddtDomain[] {
  const segments = segmentPlddt(chain.plddt, options);
  const domains: PlddtDomain[] = segments.map((s) => {
    let sum = 0;
    for (let i = s.start; i < s.end; i++) sum += chain.plddt[i]!;
    const sequence = chain.sequence.slice(s.start, s.end);
    return {
      ...s,
      residueStart: chain.residueNumbers[s.start]!,
      residueEnd: chain.residueNumbers[s.end - 1]!,
      meanPlddt: sum / (s.end - s.start),
      positiveRatio: positiveRatioOf(sequence, options.includeHistidine ?? false),
      dbdRank: 0,
      isDbd: false,
      sequence,
    };
  });
  const high = domains.filter((d) => d.confidence === 'high');
  high.sort((a, b) => b.positiveRatio - a.positiveRatio || a.start - b.start);
  const dbdCount = options.dbdCount ?? 1;
  high.forEach((d, i) => {
    d.dbdRank = i + 1;
    d.isDbd = i < dbdCount;
  });
  return domains;
}

/**
 * Domains of several proteins → Arrow `plddt-domains` table (schema in the README).
 */
export function plddtDomainsToTable(
  rows: readonly { protein: string; chain: string; domains: readonly PlddtDomain[] }[],
): Table {
  const cols = {
    protein: [] as string[],
    chain: [] as string[],
    segment: [] as number[],
    start: [] as number[],
    end: [] as number[],
    residue_start: [] as number[],
    residue_end: [] as number[],
    confidence: [] as string[],
    mean_plddt: [] as number[],
    mean_smoothed: [] as number[],
    positive_ratio: [] as number[],
    dbd_rank: [] as number[],
    is_dbd: [] as boolean[],
    sequence: [] as string[],
  };
  for (const r of rows) {
    r.domains.forEach((d, i) => {
      cols.protein.push(r.protein);
      cols.chain.push(r.chain);
      cols.segment.push(i);
      cols.start.push(d.start);
      cols.end.push(d.end);
      cols.residue_start.push(d.residueStart);
      cols.residue_end.push(d.residueEnd);
      cols.confidence.push(d.confidence);
      cols.mean_plddt.push(d.meanPlddt);
      cols.mean_smoothed.push(d.meanSmoothed);
      cols.positive_ratio.push(d.positiveRatio);
      cols.dbd_rank.push(d.dbdRank);
      cols.is_dbd.push(d.isDbd);
      cols.sequence.push(d.sequence);
    });
  }
  return makeTable(
    {
      protein: cols.protein,
      chain: cols.chain,
      segment: Int32Array.from(cols.segment),
      start: Int32Array.from(cols.start),
      end: Int32Array.from(cols.end),
      residue_start: Int32Array.from(cols.residue_start),
      residue_end: Int32Array.from(cols.residue_end),
      confidence: cols.confidence,
      mean_plddt: Float64Array.from(cols.mean_plddt),
      mean_smoothed: Float64Array.from(cols.mean_smoothed),
      positive_ratio: Float64Array.from(cols.positive_ratio),
      dbd_rank: Int32Array.from(cols.dbd_rank),
      is_dbd: cols.is_dbd,
      sequence: cols.sequence,
    },
    PLDDT_DOMAINS_ENCODING,
    PLDDT_DOMAINS_VERSION,
  );
}
