/**
 * Adam and AdamW updates over plain float32 arrays, for the data-parallel workers, which
 * step their share of the variables in shared memory (docs/adr/0004-…). Each operation is
 * rounded to float32 in the order the tensor forms compute it (`Adam`'s fused kernel or its
 * op-by-op form, `AdamW`'s ops), so the bits equal the main-thread update
 * (`test/parallel-optimizer.test.ts`).
 */

/** One step's scalars, computed by the optimizer on the main thread (it owns `step` and the rate). */
export type HostUpdateRule =
  | {
      kind: 'adam';
      /** lr·√(1−β₂ᵗ)/(1−β₁ᵗ) (Keras' folded bias corrections). */
      alpha: number;
      beta1: number;
      beta2: number;
      epsilon: number;
      /** Per-variable L2 clip of the gradient; 0 = none. */
      clipNorm: number;
      /**
       * How the clip norm is summed: 'exact' Σg² in float64 (the fused wasm kernel), 'rounded'
       * Σfround(g²) in float64 rounded to float32 before √ (the op form on the cpu backend).
       */
      norm: 'exact' | 'rounded';
    }
  | {
      kind: 'adamw';
      /** lr/(1−β₁ᵗ). */
      stepSize: number;
      /** √(1−β₂ᵗ). */
      bc2Sqrt: number;
      beta1: number;
      beta2: number;
      epsilon: number;
      /** 1 − lr·λ, or 1 when λ = 0 (then no multiply, as `AdamW.apply`). */
      decay: number;
    };

/** An optimizer whose update the workers can run (`Adam`, `AdamW`). */
export interface HostSteppable {
  /** Advances `step` as `apply` would and returns that update's scalars. */
  hostUpdate(learningRate?: number): HostUpdateRule;
}

export function isHostSteppable(o: object): o is HostSteppable {
  return typeof (o as Partial<HostSteppable>).hostUpdate === 'function';
}

const f = Math.fround;

/** The scale Adam's clip applies to one variable's gradient g[lo, hi) (1 without clipping). */
export function clipScale(g: Float32Array, lo: number, hi: number, rule: HostUpdateRule): number {
  if (rule.kind !== 'adam' || rule.clipNorm <= 0) return 1;
  let ss = 0;
  if (rule.norm === 'exact') {
    for (let i = lo; i < hi; i++) ss += g[i]! * g[i]!;
    return f(rule.clipNorm / Math.max(f(Math.sqrt(ss)), rule.clipNorm));
  }
  for (let i = lo; i < hi; i++) ss += f(g[i]! * g[i]!);
  const c = f(rule.clipNorm);
  return f(c / Math.max(f(Math.sqrt(f(ss))), c));
}

/**
 * Updates x, m, v in place over [lo, hi), one whole variable (per-variable clipping needs
 * all of its gradient). `g` is the summed gradient.
 */
export function hostUpdateVariable(
  rule: HostUpdateRule,
  x: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  lo: number,
  hi: number,
): void {
  const b1 = f(rule.beta1);
  const b2 = f(rule.beta2);
  const c1 = f(1 - rule.beta1);
  const c2 = f(1 - rule.beta2);
  const eps = f(rule.epsilon);
  // Multiplying by a scale or decay of 1 changes no bits, so both are applied always (as the
  // wasm form in wasm/optimizer.wat), though the op forms skip them when off.
  if (rule.kind === 'adam') {
    const scale = clipScale(g, lo, hi, rule);
    const alpha = f(rule.alpha);
    for (let i = lo; i < hi; i++) {
      const gi = f(g[i]! * scale);
      const mi = f(f(m[i]! * b1) + f(gi * c1));
      const vi = f(f(v[i]! * b2) + f(f(gi * gi) * c2));
      m[i] = mi;
      v[i] = vi;
      x[i] = f(x[i]! - f(f(mi * alpha) / f(f(Math.sqrt(vi)) + eps)));
    }
    return;
  }
  const bc2 = f(rule.bc2Sqrt);
  const stepSize = f(rule.stepSize);
  const decay = f(rule.decay);
  for (let i = lo; i < hi; i++) {
    const gi = g[i]!;
    const xi = f(x[i]! * decay);
    const mi = f(f(m[i]! * b1) + f(gi * c1));
    const vi = f(f(v[i]! * b2) + f(f(gi * gi) * c2));
    m[i] = mi;
    v[i] = vi;
    const denom = f(f(f(Math.sqrt(vi)) / bc2) + eps);
    x[i] = f(xi - f(f(mi / denom) * stepSize));
  }
}
