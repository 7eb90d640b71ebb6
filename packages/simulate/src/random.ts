import { SeededRandom } from '@chromflow/core';

/**
 * The simulator's seeded pseudo-random source: `@chromflow/core`'s
 * `SeededRandom` (xoshiro128** seeded by splitmix32; `uniform`, `int`,
 * `normal`, `shuffle`, `state`/`fromState`) plus the distributions the
 * simulator draws from. The committed test-data pins the stream: a seed fixes
 * every draw on every platform.
 */
export class Random extends SeededRandom {
  /** exp(mu + sigma·z): a log-normal draw with median e^mu. */
  logNormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }

  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /**
   * A Poisson draw. Knuth's product method below 30, otherwise the
   * normal approximation rounded (means that large only occur for whole-cell
   * totals, where the approximation error is far below the depth spread).
   */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda < 30) {
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = this.uniform();
      while (p > limit) {
        k++;
        p *= this.uniform();
      }
      return k;
    }
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
  }

  /** A Gamma(shape, scale 1) draw (Marsaglia–Tsang; boosted for shape < 1). */
  gamma(shape: number): number {
    if (shape < 1) {
      const u = this.uniform();
      return this.gamma(shape + 1) * Math.pow(u === 0 ? Number.MIN_VALUE : u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** A negative-binomial count with the given mean and dispersion φ (variance μ + φμ²), as Gamma–Poisson. */
  negativeBinomial(mean: number, dispersion: number): number {
    if (mean <= 0) return 0;
    const shape = 1 / dispersion;
    return this.poisson((this.gamma(shape) / shape) * mean);
  }

  /** An index drawn with probability proportional to `weights[i]`. */
  weighted(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i]!;
    let u = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    return weights.length - 1;
  }

  /** An independent stream derived from this one (so adding draws in one part does not shift another). */
  fork(label: string): Random {
    let h = this.nextUint32();
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
    return new Random(h);
  }
}

/** Logistic function 1 / (1 + e^-x). */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
