import { clipScale, type HostUpdateRule, hostUpdateVariable } from '../train/host-update.js';
import { optimizerModuleBase64 } from './optimizer-module.generated.js';
import { reduceSlots } from './reduce.js';

/**
 * The memory the engine and its workers share (float32, the trainable variables concatenated
 * in order, each region `stride` floats): the weights, the optimizer's first and second
 * moments, the summed gradient, and one gradient slot per worker. Where it fits in 4 GiB it
 * is one shared `WebAssembly.Memory`, so each worker can run the optimizer step and the slot
 * sums as wasm-SIMD (`wasm/optimizer.wat`) in place; otherwise a plain SharedArrayBuffer
 * and the same arithmetic in JavaScript (`src/train/host-update.ts`, same bits, slower).
 */
export interface SharedTrainingMemory {
  buffer: SharedArrayBuffer;
  /** The wasm memory whose buffer is `buffer`, when it fits. */
  memory?: object;
  /** Floats of the variables. */
  total: number;
  /** Floats per region (total rounded up to 4, so regions stay 16-byte aligned). */
  stride: number;
  workers: number;
}

/** Region order in the buffer. */
const WEIGHTS = 0;
const M = 1;
const V = 2;
const SUM = 3;
const SLOT0 = 4;

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => {
    buffer: SharedArrayBuffer;
  };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = Reflect.get(globalThis, 'WebAssembly') as WasmApi | undefined;
const pageBytes = 65536;
const maxPages = 65536;

/** Allocates the shared regions for `total` floats and `workers` slots. */
export function allocateSharedTraining(total: number, workers: number): SharedTrainingMemory {
  const stride = Math.max(4, Math.ceil(total / 4) * 4);
  const bytes = 4 * stride * (SLOT0 + workers);
  const pages = Math.ceil(bytes / pageBytes);
  if (wasmApi !== undefined && pages <= maxPages && process.env['CHROMFLOW_SHARED_WASM'] !== '0') {
    try {
      const memory = new wasmApi.Memory({ initial: pages, maximum: pages, shared: true });
      return { buffer: memory.buffer, memory, total, stride, workers };
    } catch {
      // No shared wasm memory of that size here: the plain buffer below.
    }
  }
  return { buffer: new SharedArrayBuffer(bytes), total, stride, workers };
}

/** Float32 views of each region (length `total`). */
export function sharedViews(s: SharedTrainingMemory): {
  weights: Float32Array;
  m: Float32Array;
  v: Float32Array;
  sum: Float32Array;
  slots: Float32Array[];
} {
  const at = (region: number): Float32Array =>
    new Float32Array(s.buffer, 4 * s.stride * region, s.total);
  return {
    weights: at(WEIGHTS),
    m: at(M),
    v: at(V),
    sum: at(SUM),
    slots: Array.from({ length: s.workers }, (_, k) => at(SLOT0 + k)),
  };
}

type Fn = (...args: number[]) => void;

/**
 * A worker's reduction and optimizer step over its element range, with the wasm-SIMD module
 * on the shared memory when there is one, else the JavaScript loops.
 */
export class SharedStepper {
  private readonly views: ReturnType<typeof sharedViews>;
  private readonly wasm: { adam: Fn; adamw: Fn; addInto: Fn } | undefined;
  /** Whether the wasm-SIMD module runs the step. */
  readonly simd: boolean;

  constructor(private readonly s: SharedTrainingMemory) {
    this.views = sharedViews(s);
    this.wasm = s.memory !== undefined ? instantiate(s.memory) : undefined;
    this.simd = this.wasm !== undefined;
  }

  private byteOf(region: number, element: number): number {
    return 4 * (this.s.stride * region + element);
  }

  /** sum[lo, hi) = slot₀ + slot₁ + … in slot order (`reduceSlots`' arithmetic). */
  reduce(participants: number, lo: number, hi: number): void {
    const w = this.wasm;
    if (w === undefined) {
      reduceSlots(this.views.slots, participants, this.views.sum, lo, hi);
      return;
    }
    this.views.sum.set(this.views.slots[0]!.subarray(lo, hi), lo);
    for (let k = 1; k < participants; k++)
      w.addInto(this.byteOf(SUM, lo), this.byteOf(SLOT0 + k, lo), hi - lo);
  }

  /** Steps one whole variable [lo, hi) of the weights and moments with the summed gradient. */
  step(rule: HostUpdateRule, lo: number, hi: number): void {
    const w = this.wasm;
    const { weights, m, v, sum } = this.views;
    if (w === undefined) {
      hostUpdateVariable(rule, weights, m, v, sum, lo, hi);
      return;
    }
    const ptrs = [WEIGHTS, M, V, SUM].map((r) => this.byteOf(r, lo));
    const [b1, b2, c1, c2] = [rule.beta1, rule.beta2, 1 - rule.beta1, 1 - rule.beta2];
    if (rule.kind === 'adam') {
      const scale = clipScale(sum, lo, hi, rule);
      w.adam(...ptrs, hi - lo, scale, b1, c1, b2, c2, rule.alpha, rule.epsilon);
    } else {
      w.adamw(
        ...ptrs,
        hi - lo,
        rule.decay,
        b1,
        c1,
        b2,
        c2,
        rule.bc2Sqrt,
        rule.epsilon,
        rule.stepSize,
      );
    }
  }
}

function instantiate(memory: object): { adam: Fn; adamw: Fn; addInto: Fn } | undefined {
  if (wasmApi === undefined) return undefined;
  try {
    const module = new wasmApi.Module(Buffer.from(optimizerModuleBase64, 'base64'));
    const { exports } = new wasmApi.Instance(module, { env: { memory } });
    const fn = (name: string): Fn => {
      const f = exports[name];
      if (typeof f !== 'function') throw new Error(`optimizer module export ${name} missing`);
      return f as Fn;
    };
    return { adam: fn('adam_step'), adamw: fn('adamw_step'), addInto: fn('add_into') };
  } catch {
    return undefined;
  }
}
