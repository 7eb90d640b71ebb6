export { parseWorkflow, readWorkflow, type WorkflowFile } from './workflow-file.js';
export { checkWorkflow, type CheckedWorkflow, type ResolvedStage } from './workflow-check.js';
export { StageRegistry } from './registry.js';
export { CacheStore, cacheKey, type Manifest } from './cache-store.js';
export { LocalExecutor, detectGpus } from './local-executor.js';
export { runWorkflow, downstreamOf } from './run-workflow.js';
export { runStageJob, type StageJob, type StageJobResult } from './stage-job.js';
export { PlainReporter, TtyReporter, summaryTable, type StageOutcome } from './reporter.js';
