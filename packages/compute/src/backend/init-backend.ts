import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import './register-gradients.js';
import { ChromflowError } from '@chromflow/core';
import { registerWasmKernels } from '../kernels/register-wasm.js';
import { nativeBlasStatus } from '../kernels/native-blas.js';

/**
 * Compute-backend selection. Order of preference: native TensorFlow through
 * `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` (both optional and
 * only present where their install script was approved), then `wasm` (with
 * chromflow's replacement training kernels registered), then the pure-JS `cpu`.
 * `CHROMFLOW_BACKEND` (`tensorflow-gpu` | `tensorflow` | `wasm` | `cpu`) forces one.
 */

export type BackendChoice = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export const backendChoices: readonly BackendChoice[] = [
  'tensorflow-gpu',
  'tensorflow',
  'wasm',
  'cpu',
];

export interface BackendInfo {
  /** What was chosen. */
  choice: BackendChoice;
  /** The TF.js backend name (`tensorflow`, `wasm` or `cpu`). */
  name: string;
  /** npm package providing it. */
  package: string;
  /** Threads one process uses for math (wasm in Node is single-threaded; see `src/parallel`). */
  threads: number;
  /** Whether the wasm SIMD build is used (false for other backends). */
  simd: boolean;
  /** Whether math runs on a GPU. */
  gpu: boolean;
  /** Whether chromflow's replacement wasm kernels are registered. */
  fastKernels: boolean;
  /**
   * On wasm: `wasm+native-blas` where the native GEMM addon runs the matmuls (oneDNN or
   * OpenBLAS, `native/`), else `wasm`; `nativeDetail` says which library or why not.
   */
  kernelPath?: 'wasm' | 'wasm+native-blas';
  nativeDetail?: string;
  /** TF.js core version. */
  tfjsVersion: string;
  /** How the choice was made. */
  reason: 'forced' | 'auto';
}

export interface InitBackendOptions {
  /** Force a backend (overrides `CHROMFLOW_BACKEND`). */
  backend?: BackendChoice;
  /** Do not print the one-line backend report. */
  quiet?: boolean;
}

const nativePackages: Record<'tensorflow-gpu' | 'tensorflow', string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

let current: Promise<BackendInfo> | undefined;
let currentKey: string | undefined;
let printed = false;

/** Parses a backend name as given in `CHROMFLOW_BACKEND` or an option. */
export function parseBackendChoice(text: string): BackendChoice {
  const found = backendChoices.find((c) => c === text.trim().toLowerCase());
  if (found === undefined) {
    throw new ChromflowError('BACKEND', `Unknown compute backend '${text}'.`, {
      field: 'CHROMFLOW_BACKEND',
      expected: backendChoices.join(' | '),
      found: text,
      hint: 'Unset CHROMFLOW_BACKEND to choose automatically.',
    });
  }
  return found;
}

async function tryNative(choice: 'tensorflow-gpu' | 'tensorflow'): Promise<boolean> {
  const pkg = nativePackages[choice];
  try {
    // A native package registers the 'tensorflow' backend when imported.
    await import(/* @vite-ignore */ pkg);
  } catch {
    return false;
  }
  return tf.findBackendFactory('tensorflow') !== null && (await tf.setBackend('tensorflow'));
}

async function activate(choice: BackendChoice): Promise<BackendInfo | undefined> {
  const base = { choice, tfjsVersion: tf.version_core, reason: 'auto' as const };
  if (choice === 'tensorflow-gpu' || choice === 'tensorflow') {
    if (!(await tryNative(choice))) return undefined;
    return {
      ...base,
      name: 'tensorflow',
      package: nativePackages[choice],
      threads: 0,
      simd: false,
      gpu: choice === 'tensorflow-gpu',
      fastKernels: false,
    };
  }
  if (choice === 'wasm') {
    let ok = false;
    try {
      ok = await tf.setBackend('wasm');
    } catch {
      ok = false;
    }
    if (!ok) return undefined;
    await tf.ready();
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    registerWasmKernels();
    const native = nativeBlasStatus();
    return {
      ...base,
      name: 'wasm',
      package: '@tensorflow/tfjs-backend-wasm',
      threads: 1,
      simd,
      gpu: false,
      fastKernels: true,
      kernelPath: native.active ? ('wasm+native-blas' as const) : ('wasm' as const),
      nativeDetail: native.active ? `${native.blas}, ${native.threads} thread(s)` : native.detail,
    };
  }
  if (!(await tf.setBackend('cpu'))) return undefined;
  await tf.ready();
  return {
    ...base,
    name: 'cpu',
    package: '@tensorflow/tfjs-backend-cpu',
    threads: 1,
    simd: false,
    gpu: false,
    fastKernels: false,
  };
}

async function choose(forced: BackendChoice | undefined): Promise<BackendInfo> {
  if (forced !== undefined) {
    const info = await activate(forced);
    if (info === undefined) {
      const native = forced === 'tensorflow-gpu' || forced === 'tensorflow';
      throw new ChromflowError(
        'BACKEND',
        `The forced compute backend '${forced}' is not available in this process.`,
        {
          field: 'CHROMFLOW_BACKEND',
          expected: native
            ? `${nativePackages[forced]} installed with its native binding built`
            : forced,
          found: 'unavailable',
          hint: native
            ? `Install it (npm 11 blocks its install script until approved): npm install ${nativePackages[forced]} && npm install-scripts approve ${nativePackages[forced]} && npm rebuild ${nativePackages[forced]}; or unset CHROMFLOW_BACKEND.`
            : 'Unset CHROMFLOW_BACKEND to choose automatically.',
        },
      );
    }
    return { ...info, reason: 'forced' };
  }
  for (const choice of backendChoices) {
    const info = await activate(choice);
    if (info !== undefined) return info;
  }
  throw new ChromflowError('BACKEND', 'No TF.js compute backend could be initialised.', {
    hint: 'Reinstall @tensorflow/tfjs-backend-wasm and @tensorflow/tfjs-backend-cpu.',
  });
}

/** One line describing a backend, as printed once per process and written to manifests. */
export function describeBackend(info: BackendInfo): string {
  const parts = [
    info.gpu ? 'GPU' : 'CPU',
    info.name === 'wasm' ? (info.simd ? 'SIMD' : 'no SIMD') : undefined,
    info.threads > 0 ? `${info.threads} thread${info.threads === 1 ? '' : 's'}` : undefined,
    info.fastKernels ? 'chromflow kernels' : undefined,
    info.kernelPath === undefined ? undefined : `${info.kernelPath}: ${info.nativeDetail ?? ''}`,
  ].filter((p): p is string => p !== undefined);
  return `chromflow: compute backend ${info.name} (${info.package}; ${parts.join(', ')}; ${info.reason})`;
}

/**
 * Chooses, activates and reports the compute backend. Idempotent: later calls
 * with the same choice return the same info; the report is printed to stderr
 * once per process unless `quiet`.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const env = process.env['CHROMFLOW_BACKEND'];
  const forced =
    options.backend ??
    (env !== undefined && env.trim() !== '' ? parseBackendChoice(env) : undefined);
  const key = forced ?? 'auto';
  if (current === undefined || currentKey !== key) {
    currentKey = key;
    current = choose(forced);
    current.catch(() => {
      current = undefined;
      currentKey = undefined;
    });
  }
  const info = await current;
  // Someone may have switched backends since (tests do): switch back.
  if (tf.getBackend() !== info.name) await tf.setBackend(info.name);
  if (!printed && options.quiet !== true) {
    printed = true;
    process.stderr.write(`${describeBackend(info)}\n`);
  }
  return info;
}
