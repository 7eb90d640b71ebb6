import type { StageResources } from '@chromflow/core';
import type { Executor } from './executor.js';
import type { Placement } from './local-executor.js';

/** Waits for executor slots: grants any queued request that fits whenever slots free up. */
export class SlotQueue {
  private readonly waiting: { res: StageResources; grant: (p: Placement) => void }[] = [];

  constructor(private readonly executor: Executor) {}

  acquire(res: StageResources): Promise<Placement> {
    const p = this.executor.tryAcquire(res);
    if (p) return Promise.resolve(p);
    return new Promise((grant) => this.waiting.push({ res, grant }));
  }

  release(p: Placement): void {
    this.executor.release(p);
    for (let i = 0; i < this.waiting.length;) {
      const w = this.waiting[i]!;
      const got = this.executor.tryAcquire(w.res);
      if (got) {
        this.waiting.splice(i, 1);
        w.grant(got);
      } else i++;
    }
  }
}
