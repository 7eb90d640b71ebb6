import type { StageResources } from '@chromflow/core';
import type { JobHooks, Placement } from './local-executor.js';
import type { StageJob, StageJobResult } from './stage-job.js';

/**
 * What the orchestrator needs from an executor: slots to wait for, and a way
 * to run one `StageJob` somewhere and get its result back. `LocalExecutor`
 * runs jobs as child processes here; `SlurmExecutor` submits each as a batch job.
 */
export interface Executor {
  readonly name: string;
  /** CPU slots here (local) or jobs in flight at once (Slurm); for the run's opening line. */
  readonly totalCpus: number;
  /** GPUs the executor can hand out; empty when GPU stages fall back to CPU. */
  readonly gpus: string[];
  tryAcquire(res: StageResources): Placement | undefined;
  release(p: Placement): void;
  run(
    job: StageJob,
    placement: Placement,
    logPath: string,
    hooks: ExecutorHooks,
  ): Promise<ExecutorResult>;
  /**
   * Stops everything still running, synchronously, for a process about to
   * exit (a second Ctrl-C): a cluster executor cancels its jobs here.
   */
  cancelAllNow?(): void;
}

export interface ExecutorHooks extends JobHooks {
  /** The workflow's id for the stage (job names, per-stage settings). */
  stageId?: string;
  /** The cluster's id for the job, as soon as it is submitted. */
  onSubmitted?(jobId: string): void;
}

export interface ExecutorResult extends StageJobResult {
  /** The cluster job that ran the stage. */
  jobId?: string;
}
