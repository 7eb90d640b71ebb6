import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { inProcessGradientStep } from '../src/index.js';
import { getBatch, getShapes, makeGetBench } from './get-trainable.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface GetCheck {
  lossRelativeError: number;
  worstGradientRelativeError: number;
  worstGradient: string;
}

/**
 * get-small (batch 2) on the active backend against `get_twin.py check` in float64 at the
 * same weights and batch: loss, and every gradient (max |Δ| / max |expected| per variable).
 */
export async function checkGetAgainstTwin(python: string): Promise<GetCheck> {
  const s = getShapes['get-small'];
  const n = 2;
  const model = await makeGetBench({ d: s.d, layers: s.layers, heads: s.heads }, 3);
  const vars = model.trainableVariables();
  const batch = getBatch(n, 11);
  const dir = mkdtempSync(join(tmpdir(), 'chromflow-get-check-'));
  try {
    const weights = join(dir, 'weights.f32');
    const data = join(dir, 'batch.f32');
    const gradsOut = join(dir, 'grads.f32');
    const flat = new Float32Array(vars.reduce((a, v) => a + v.size, 0));
    let off = 0;
    for (const v of vars) {
      flat.set(v.dataSync(), off);
      off += v.size;
    }
    writeFileSync(weights, Buffer.from(flat.buffer));
    const x = batch['x'] as Float32Array;
    const y = batch['y'] as Float32Array;
    const xy = new Float32Array(x.length + y.length);
    xy.set(x);
    xy.set(y, x.length);
    writeFileSync(data, Buffer.from(xy.buffer));
    const out = execFileSync(
      python,
      [
        join(here, 'get_twin.py'),
        'check',
        '--shape',
        'get-small',
        '--batch',
        String(n),
        '--weights',
        weights,
        '--batch-file',
        data,
        '--grads-out',
        gradsOut,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
      },
    );
    const want = JSON.parse(out) as { loss: number };
    const raw = readFileSync(gradsOut);
    const wantGrads = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    const { loss, grads } = await inProcessGradientStep(model, batch);
    let worst = 0;
    let worstName = '';
    off = 0;
    grads.forEach((g, i) => {
      const got = g.dataSync();
      let diff = 0;
      let scale = 1e-12;
      for (let j = 0; j < got.length; j++) {
        const e = wantGrads[off + j]!;
        diff = Math.max(diff, Math.abs(got[j]! - e));
        scale = Math.max(scale, Math.abs(e));
      }
      off += got.length;
      if (diff / scale > worst) {
        worst = diff / scale;
        worstName = vars[i]!.name;
      }
    });
    tf.dispose(grads);
    tf.dispose(vars);
    return {
      lossRelativeError: Math.abs(loss - want.loss) / Math.abs(want.loss),
      worstGradientRelativeError: worst,
      worstGradient: worstName,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
