import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeTable, sharedDataFile } from '@chromflow/core';
import { readMotifClusters } from '@chromflow/genome-io';
import {
  callPlddtDomains,
  plddtDomainsToTable,
  readStructure,
  selectChain,
} from '@chromflow/structure-analysis';
import { describe, expect, it } from 'vitest';
import {
  clusterTfGenes,
  groupExpression,
  interactionTfs,
  interactionTfsToTable,
  motifsAsClusters,
  motifTfAnnotationFromText,
  tfStructuresFromTable,
  type TfStructure,
} from '../src/index.js';

const clusterFile = sharedDataFile('motifs/vierstra_motif_clusters_v1.0/clusters.0.70.txt');
const pou5f1File = sharedDataFile('structures/af2_multimer_pioneer_tfs/Q01860_P35244.pdb');
const haveData = clusterFile !== undefined && pou5f1File !== undefined;
const motifs = clusterFile ? join(dirname(clusterFile), '..') : '';
const structures = pou5f1File ? dirname(pou5f1File) : '';

describe('TF annotation and cluster → TF genes', () => {
  it('parses HOCOMOCO and Jolma style annotations; a header without the columns is a SCHEMA error', () => {
    const hoco = motifTfAnnotationFromText(
      'Model\tTranscription factor\tModel length\nPO5F1_HUMAN.H11MO.0.A\tPOU5F1\t10\n',
    );
    expect(hoco.get('PO5F1_HUMAN.H11MO.0.A')).toBe('POU5F1');
    const jolma = motifTfAnnotationFromText('motif\ttf\tdbd_family\nSOX2_HMG_1\tSox2\tHMG\n');
    expect(jolma.get('SOX2_HMG_1')).toBe('SOX2');
    expect(() => motifTfAnnotationFromText('a\tb\nx\ty\n', 'ann.tsv')).toThrow(
      /no motif or TF column/,
    );
  });

  it('maps clusters to TF symbols through the annotation, the human model of a mouse HOCOMOCO id, or the name', () => {
    const table = {
      motifs: [
        'PO5F1_MOUSE.H11MO.0.A',
        'Pou5f1+Sox2_MA0142.1',
        'Lhx8.mouse_homeodomain_3',
        'X_HUMAN.H11MO.0.A',
      ],
      clusters: ['84', '84', '1', '2'],
    };
    const annotation = new Map([['PO5F1_HUMAN.H11MO.0.A', 'POU5F1']]);
    const m = clusterTfGenes(table, { annotation, names: new Map([['84', 'POU/SOX']]) });
    expect(m.get('POU/SOX')).toEqual(['POU5F1', 'SOX2']);
    expect(m.get('1')).toEqual(['LHX8']);
    expect(m.get('2')).toEqual(['X']);
  });
});

describe('TF symbols from a motif file, structures from a plddt-domains table', () => {
  const motif = (id: string, altName: string) => ({
    id,
    altName,
    width: 1,
    probabilities: Float64Array.from([0.25, 0.25, 0.25, 0.25]),
    nsites: 20,
  });
  const motifs = [motif('SIM.AP1', 'FOS::JUN'), motif('MA0080.1', 'Spi1'), motif('X1', '')];

  it('takes each motif as its cluster, TFs from the alt name; the annotation wins; Vierstra keys match', () => {
    const own = motifsAsClusters(motifs);
    expect(own).toEqual({
      motifs: ['SIM.AP1', 'MA0080.1', 'X1'],
      clusters: ['SIM.AP1', 'MA0080.1', 'X1'],
    });
    const tfs = clusterTfGenes(own, { motifs });
    expect(tfs.get('SIM.AP1')).toEqual(['FOS', 'JUN']);
    expect(tfs.get('MA0080.1')).toEqual(['SPI1']);
    expect(tfs.get('X1')).toEqual(['X1']);
    // Without the motif file an id names no TF: the id itself comes back.
    expect(clusterTfGenes(own).get('SIM.AP1')).toEqual(['SIM.AP1']);
    expect(
      clusterTfGenes(own, { motifs, annotation: new Map([['MA0080.1', 'SPIB']]) }).get('MA0080.1'),
    ).toEqual(['SPIB']);
    // A clustered table naming the motif as <alt>_<id> (Vierstra's JASPAR form).
    const vierstra = { motifs: ['Spi1_MA0080.1', 'FOS+JUN_SIM.AP1'], clusters: ['5', '5'] };
    expect(clusterTfGenes(vierstra, { motifs }).get('5')).toEqual(['FOS', 'JUN', 'SPI1']);
  });

  it('a table of another kind, or without a column, is a SCHEMA error naming the file', () => {
    expect(() => tfStructuresFromTable(makeTable({ x: [1] }, 'other'), 'd.parquet')).toThrow(
      /not of the expected kind/,
    );
    expect(() =>
      tfStructuresFromTable(makeTable({ protein: ['SPI1'] }, 'plddt-domains'), 'd.parquet'),
    ).toThrow(/no column 'chain'/);
  });
});

describe('interactionTfs', () => {
  const clusterTfs = new Map([
    ['A', ['TF1', 'TF2', 'TF3']],
    ['B', ['TF4', 'TF5']],
    ['C', ['TF9']],
  ]);
  const expression = new Map([
    ['TF1', 1],
    ['TF2', 3],
    ['TF3', 3],
    ['TF4', 0.5],
  ]);

  it('keeps the two most expressed TFs per side (ties by symbol), skips unexpressed, reports missing', () => {
    const { rows, missing } = interactionTfs(
      [
        { motifA: 'A', motifB: 'B', r: 0.9 },
        { motifA: 'A', motifB: 'C', r: -0.7 },
      ],
      clusterTfs,
      expression,
    );
    expect(rows.map((r) => `${r.motifA}${r.motifB}:${r.side}${r.tfRank}=${r.tf}`)).toEqual([
      'AB:A1=TF2',
      'AB:A2=TF3',
      'AB:B1=TF4',
      'AC:A1=TF2',
      'AC:A2=TF3',
    ]);
    expect(missing).toEqual(['C']);
    const t = interactionTfsToTable('B cells', rows);
    expect(t.numRows).toBe(5);
    expect(t.schema.metadata.get('chromflow.encoding-type')).toBe('interaction-tfs');
    expect(t.getChild('protein')!.get(0)).toBe('');
    expect(t.getChild('dbd_residue_start')!.get(0)).toBeNaN();
  });

  it('reads one cell type from a gene-expression table; an absent cell type is a VALUE error', () => {
    const t = makeTable(
      {
        group: ['B', 'B', 'T'],
        gene_id: ['g1', 'g2', 'g1'],
        gene_name: ['Pax5', 'CD3E', 'Pax5'],
        log_cpm: Float64Array.from([2, 0.1, 0]),
      },
      'gene-expression',
    );
    expect([...groupExpression(t, 'B')]).toEqual([
      ['PAX5', 2],
      ['CD3E', 0.1],
    ]);
    expect(() => groupExpression(t, 'NK')).toThrow(/'NK' is not in the expression table/);
    expect(() => groupExpression(makeTable({ x: [1] }, 'other'), 'B')).toThrow(/lacks group/);
  });

  it.skipIf(!haveData)(
    'real data: the POU5F1::SOX2 cluster (Vierstra 84) × the SOX HMG cluster, with the AlphaFold-Multimer DBD calls',
    async () => {
      const table = await readMotifClusters(
        join(motifs, 'vierstra_motif_clusters_v1.0/clusters.0.70.txt'),
      );
      const annotation = new Map([
        ...motifTfAnnotationFromText(
          readFileSync(join(motifs, 'HOCOMOCOv11_core_annotation_HUMAN_mono.tsv'), 'utf8'),
        ),
        ...motifTfAnnotationFromText(
          readFileSync(join(motifs, 'jolma2013/annotation.txt'), 'utf8'),
        ),
      ]);
      const tfs = clusterTfGenes(table, { annotation });
      expect(tfs.get('84')).toContain('POU5F1');
      expect(tfs.get('84')).toContain('SOX2');
      expect(tfs.get('93')).toContain('SOX2');
      const structureOf = async (file: string, protein: string): Promise<TfStructure> => ({
        protein,
        domains: callPlddtDomains(selectChain(await readStructure(join(structures, file)), 'A')),
      });
      const structureMap = new Map([
        ['POU5F1', await structureOf('Q01860_P35244.pdb', 'Q01860')],
        ['SOX2', await structureOf('P48431_P53803.pdb', 'P48431')],
      ]);
      // An embryonic-stem-cell-like expression profile (log CPM), by hand.
      const expression = new Map([
        ['POU5F1', 3.1],
        ['SOX2', 2.8],
        ['SOX3', 0.4],
        ['POU2F1', 1.2],
      ]);
      const { rows } = interactionTfs([{ motifA: '84', motifB: '93', r: 0.62 }], tfs, expression, {
        structures: structureMap,
      });
      const byKey = new Map(rows.map((r) => [`${r.side}${r.tfRank}`, r]));
      expect(byKey.get('A1')!.tf).toBe('POU5F1');
      expect(byKey.get('A2')!.tf).toBe('SOX2');
      expect(byKey.get('B1')!.tf).toBe('SOX2');
      // Pfam v31 (tf_pfam31_domains_subset.tsv): POU5F1 Pou 141–212 + Homeodomain 231–287; SOX2 HMG_box 41–109.
      const pou = byKey.get('A1')!.structure!.dbd!;
      expect(pou.residueStart).toBeLessThanOrEqual(141);
      expect(pou.residueEnd).toBeGreaterThanOrEqual(287);
      const sox = byKey.get('B1')!.structure!.dbd!;
      expect(sox.residueStart).toBeLessThanOrEqual(109);
      expect(sox.residueEnd).toBeGreaterThanOrEqual(41);
      console.info(
        rows
          .map(
            (r) =>
              `${r.motif} ${r.tf} ${r.expression} DBD ${r.structure?.dbd?.residueStart}-${r.structure?.dbd?.residueEnd} | ${r.structure?.domains}`,
          )
          .join('\n'),
      );
      const t = interactionTfsToTable('ESC', rows);
      expect(t.getChild('dbd_residue_start')!.get(0)).toBe(pou.residueStart);
      expect(t.getChild('protein')!.get(0)).toBe('Q01860');
      // The stage's path: the same chains as a plddt-domains table (protein = TF symbol), read back.
      const domainsOf = async (file: string) =>
        callPlddtDomains(selectChain(await readStructure(join(structures, file)), 'A'));
      const viaTable = tfStructuresFromTable(
        plddtDomainsToTable([
          { protein: 'POU5F1', chain: 'A', domains: await domainsOf('Q01860_P35244.pdb') },
          { protein: 'SOX2', chain: 'A', domains: await domainsOf('P48431_P53803.pdb') },
        ]),
      );
      const again = interactionTfs([{ motifA: '84', motifB: '93', r: 0.62 }], tfs, expression, {
        structures: viaTable,
      }).rows;
      const dbdOf = (r: (typeof rows)[number]) => {
        const d = r.structure?.dbd;
        return d && [d.residueStart, d.residueEnd, d.confidence, d.meanPlddt, d.positiveRatio];
      };
      expect(again.map((r) => [r.tf, dbdOf(r), r.structure?.domains])).toEqual(
        rows.map((r) => [r.tf, dbdOf(r), r.structure?.domains]),
      );
      expect(again[0]!.structure!.protein).toBe('POU5F1');
    },
  );
});
