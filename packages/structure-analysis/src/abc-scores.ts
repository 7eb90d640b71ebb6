import type { Table } from 'apache-arrow';
import { ChromflowError, makeTable, requireColumns, throwIfAborted } from '@chromflow/core';
import type { Cooler } from './cooler.js';
import { POWER_LAW_DEFAULTS, powerLawContact } from './contact-decay.js';

export const ABC_SCORES_ENCODING = 'abc-scores';
export const ABC_SCORES_VERSION = '1';

/** An observed contact map for ABC, with the power law fitted to it (for the pseudocount). */
export interface AbcContactMap {
  cool: Cooler;
  /** Use balanced values (bins/weight). */
  balance: boolean;
  gamma: number;
  scale: number;
}

export interface AbcOptions {
  /** Candidates are regions whose midpoint is closer than this to the TSS (bp). Default 5,000,000 (ABC `--window`). */
  window?: number;
  /** Which pseudobulk column is the activity. Default `cpm`. */
  activity?: 'cpm' | 'accessibility' | 'count';
  /** Power law used where there is no map. Defaults: POWER_LAW_DEFAULTS. */
  gamma?: number;
  scale?: number;
  /** Distances below this are clipped before the power law (ABC 5 kb). */
  minDistance?: number;
  /** With a map, a pseudocount min(powerlaw(d), powerlaw(this)) is added (ABC `--hic_pseudocount_distance`, default 1 Mb). */
  pseudocountDistance?: number;
  contacts?: AbcContactMap;
  signal?: AbortSignal;
}

/** Enhancer–gene pairs with their ABC scores, one entry per (group, pair) with activity > 0. */
export interface AbcScores {
  groups: string[];
  /** Row of the regions table. */
  regions: Int32Array;
  regionNames: string[];
  geneIds: string[];
  geneNames: string[];
  /** |region midpoint − TSS| in bp; midpoint = (start + end) / 2 of the 0-based half-open region. */
  distances: Float64Array;
  activities: Float64Array;
  contacts: Float64Array;
  scores: Float64Array;
  contactSources: string[];
}

function column(t: Table, name: string): (i: number) => unknown {
  const c = t.getChild(name)!;
  return (i) => c.get(i) as unknown;
}

/** Cis contacts of one chromosome near the diagonal, normalised as ABC does for a .hic file. */
class ChromContacts {
  private readonly values = new Map<number, number>();
  private readonly rowMean: number;
  constructor(
    private readonly map: AbcContactMap,
    readonly chromIndex: number,
    maxBins: number,
  ) {
    const cool = map.cool;
    const lo = cool.chromOffsets[chromIndex]!;
    const hi = cool.chromOffsets[chromIndex + 1]!;
    const rowSums = new Float64Array(hi - lo);
    const px = cool.readPixelRange(cool.bin1Offsets[lo]!, cool.bin1Offsets[hi]!);
    const w = cool.weights;
    for (let k = 0; k < px.bin1.length; k++) {
      const i = px.bin1[k]!;
      const j = px.bin2[k]!;
      if (j >= hi) continue;
      const v = map.balance ? px.count[k]! * w![i]! * w![j]! : px.count[k]!;
      if (!Number.isFinite(v)) continue;
      rowSums[i - lo]! += v;
      if (j !== i) rowSums[j - lo]! += v;
      if (j - i <= maxBins) this.values.set((i - lo) * (hi - lo) + (j - lo), v);
    }
    this.n = hi - lo;
    let s = 0;
    let touched = 0;
    for (const r of rowSums) {
      if (r > 0) {
        s += r;
        touched++;
      }
    }
    // ABC (predictor.add_hic_from_hic_file) divides by the mean row sum to imitate a doubly stochastic matrix.
    this.rowMean = touched > 0 ? s / touched : 1;
  }
  private readonly n: number;
  private at(i: number, j: number): number {
    if (i < 0 || j < 0 || i >= this.n || j >= this.n) return 0;
    return this.values.get(Math.min(i, j) * this.n + Math.max(i, j)) ?? 0;
  }
  /** Observed contact between two chromosome-relative bins; the diagonal is the max of its neighbours (ABC tss_hic_contribution = 100). */
  contact(i: number, j: number): number {
    const v = i === j ? Math.max(this.at(i - 1, i), this.at(i, i + 1)) : this.at(i, j);
    return v / this.rowMean;
  }
}

/**
 * ABC scores: for each gene, candidate regions whose midpoint lies within
 * `window` of its TSS; numerator = activity × contact; score = numerator /
 * sum of numerators over the gene's candidates (per group). Contact is the
 * observed map (normalised by its mean row sum, plus the power-law
 * pseudocount) where a map covers the chromosome, else the power law.
 */
export function computeAbcScores(
  tables: { pseudobulk: Table; regions: Table; genes: Table },
  options: AbcOptions = {},
): AbcScores {
  const window = options.window ?? 5_000_000;
  const activityCol = options.activity ?? 'cpm';
  const gamma = options.gamma ?? POWER_LAW_DEFAULTS.gamma;
  const scale = options.scale ?? POWER_LAW_DEFAULTS.scale;
  const minDistance = options.minDistance ?? POWER_LAW_DEFAULTS.minDistance;
  const pseudoDist = options.pseudocountDistance ?? 1_000_000;
  requireColumns(tables.pseudobulk, ['group', 'region', activityCol], 'pseudobulk');
  requireColumns(tables.regions, ['chrom', 'start', 'end'], 'regions');
  requireColumns(tables.genes, ['gene_id', 'gene_name', 'chrom', 'tss'], 'genes');

  const nRegions = tables.regions.numRows;
  const rChrom = column(tables.regions, 'chrom');
  const rStart = column(tables.regions, 'start');
  const rEnd = column(tables.regions, 'end');
  const rName = tables.regions.getChild('name') ? column(tables.regions, 'name') : undefined;
  const mids = new Float64Array(nRegions);
  const byChrom = new Map<string, number[]>();
  for (let i = 0; i < nRegions; i++) {
    const c = String(rChrom(i));
    mids[i] = (Number(rStart(i)) + Number(rEnd(i))) / 2;
    let list = byChrom.get(c);
    if (!list) byChrom.set(c, (list = []));
    list.push(i);
  }
  for (const list of byChrom.values()) list.sort((a, b) => mids[a]! - mids[b]!);

  // activity[group][region]
  const groupNames: string[] = [];
  const activity: Float64Array[] = [];
  const pGroup = column(tables.pseudobulk, 'group');
  const pRegion = column(tables.pseudobulk, 'region');
  const pAct = column(tables.pseudobulk, activityCol);
  for (let k = 0; k < tables.pseudobulk.numRows; k++) {
    const g = String(pGroup(k));
    let gi = groupNames.indexOf(g);
    if (gi < 0) {
      gi = groupNames.push(g) - 1;
      activity.push(new Float64Array(nRegions));
    }
    const r = Number(pRegion(k));
    if (!(Number.isInteger(r) && r >= 0 && r < nRegions)) {
      throw new ChromflowError(
        'VALUE',
        `pseudobulk row ${k} points at a region the regions table does not have`,
        {
          field: 'region',
          expected: `a row of the regions table, 0 to ${nRegions - 1}`,
          found: String(pRegion(k)),
        },
      );
    }
    activity[gi]![r] = Number(pAct(k));
  }

  const map = options.contacts;
  const binSize = map?.cool.binSize;
  const chromCache = new Map<string, ChromContacts | undefined>();
  const contactsFor = (chrom: string): ChromContacts | undefined => {
    if (!map || binSize === undefined) return undefined;
    if (!chromCache.has(chrom)) {
      const ci = map.cool.chromNames.indexOf(chrom);
      chromCache.set(
        chrom,
        ci < 0 ? undefined : new ChromContacts(map, ci, Math.ceil(window / binSize) + 1),
      );
    }
    return chromCache.get(chrom);
  };

  const out = {
    groups: [] as string[],
    regions: [] as number[],
    regionNames: [] as string[],
    geneIds: [] as string[],
    geneNames: [] as string[],
    distances: [] as number[],
    activities: [] as number[],
    contacts: [] as number[],
    scores: [] as number[],
    contactSources: [] as string[],
  };
  const gId = column(tables.genes, 'gene_id');
  const gName = column(tables.genes, 'gene_name');
  const gChrom = column(tables.genes, 'chrom');
  const gTss = column(tables.genes, 'tss');
  for (let g = 0; g < tables.genes.numRows; g++) {
    if (g % 256 === 0) throwIfAborted(options.signal);
    const chrom = String(gChrom(g));
    const tss = Number(gTss(g));
    const cand = byChrom.get(chrom);
    if (!cand) continue;
    // binary search for the first candidate with mid > tss - window
    let lo = 0;
    let hi = cand.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (mids[cand[m]!]! <= tss - window) lo = m + 1;
      else hi = m;
    }
    const pairs: { region: number; distance: number; contact: number; source: string }[] = [];
    const cc = contactsFor(chrom);
    for (let k = lo; k < cand.length && mids[cand[k]!]! < tss + window; k++) {
      const region = cand[k]!;
      const distance = Math.abs(mids[region]! - tss);
      if (!(distance < window)) continue;
      let contact: number;
      if (cc && map && binSize !== undefined) {
        const offset = map.cool.chromOffsets[cc.chromIndex]!;
        const last = map.cool.chromOffsets[cc.chromIndex + 1]! - offset - 1;
        const eb = Math.min(Math.floor(mids[region]! / binSize), last);
        const tb = Math.min(Math.floor(tss / binSize), last);
        const pseudo = Math.min(
          powerLawContact(distance, map.gamma, map.scale, minDistance),
          powerLawContact(pseudoDist, map.gamma, map.scale, binSize),
        );
        contact = cc.contact(eb, tb) + pseudo;
      } else {
        contact = powerLawContact(distance, gamma, scale, minDistance);
      }
      pairs.push({ region, distance, contact, source: cc ? 'map' : 'power-law' });
    }
    for (let gi = 0; gi < groupNames.length; gi++) {
      const act = activity[gi]!;
      let total = 0;
      for (const p of pairs) total += act[p.region]! * p.contact;
      for (const p of pairs) {
        const a = act[p.region]!;
        if (!(a > 0)) continue;
        out.groups.push(groupNames[gi]!);
        out.regions.push(p.region);
        out.regionNames.push(
          rName
            ? String(rName(p.region))
            : `${chrom}:${String(rStart(p.region))}-${String(rEnd(p.region))}`,
        );
        out.geneIds.push(String(gId(g)));
        out.geneNames.push(String(gName(g)));
        out.distances.push(p.distance);
        out.activities.push(a);
        out.contacts.push(p.contact);
        out.scores.push((a * p.contact) / total);
        out.contactSources.push(p.source);
      }
    }
  }
  return {
    groups: out.groups,
    regions: Int32Array.from(out.regions),
    regionNames: out.regionNames,
    geneIds: out.geneIds,
    geneNames: out.geneNames,
    distances: Float64Array.from(out.distances),
    activities: Float64Array.from(out.activities),
    contacts: Float64Array.from(out.contacts),
    scores: Float64Array.from(out.scores),
    contactSources: out.contactSources,
  };
}

/** ABC scores → Arrow `abc-scores` table (schema in the README). */
export function abcScoresToTable(s: AbcScores): Table {
  return makeTable(
    {
      group: s.groups,
      region: s.regions,
      region_name: s.regionNames,
      gene_id: s.geneIds,
      gene_name: s.geneNames,
      distance: s.distances,
      activity: s.activities,
      contact: s.contacts,
      score: s.scores,
      contact_source: s.contactSources,
    },
    ABC_SCORES_ENCODING,
    ABC_SCORES_VERSION,
  );
}
