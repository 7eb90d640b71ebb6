import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/init-backend.js';
import '../backend/register-gradients.js';
import { loadTrainable } from './load-trainable.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { arriveAndWait, variableRange } from './reduce.js';
import { SharedStepper, sharedViews } from './shared-memory.js';

/**
 * A data-parallel training worker: builds the same Trainable as the main
 * thread, and for each step loads the weights (shared memory) and state,
 * computes loss and gradients of its shard, writes the gradients × its shard
 * weight into its shared slot and returns the loss and its updated state.
 */
async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('worker.ts must run in a worker thread');
  const init = workerData as WorkerInit;
  const info = await initBackend({ backend: init.backend, quiet: true });
  const model = await loadTrainable(init.module, init.factory, init.config, init.seed);
  const vars = model.trainableVariables();
  const states = model.stateVariables();
  const offsets: number[] = [];
  let total = 0;
  for (const v of vars) {
    offsets.push(total);
    total += v.size;
  }
  const views = sharedViews(init.shared);
  const sharedWeights = views.weights;
  const sharedGrads = views.slots[init.index]!;
  const stepper = new SharedStepper(init.shared);
  const barrier = new Int32Array(init.barrier);
  const bounds = [...offsets, total];
  const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  post({
    kind: 'ready',
    trainableSizes: vars.map((v) => v.size),
    stateSizes: states.map((v) => v.size),
    backend: info.name,
    simdStep: stepper.simd,
  });
  const loadWeightsAndState = (state: Float32Array[]): void => {
    tf.tidy(() => {
      // slice(): a private copy (a backend may keep the array it is given).
      vars.forEach((v, i) =>
        v.assign(
          tf.tensor(sharedWeights.slice(offsets[i], offsets[i]! + v.size), v.shape, 'float32'),
        ),
      );
      states.forEach((v, i) => v.assign(tf.tensor(state[i]!, v.shape, 'float32')));
    });
  };
  port.on('message', (msg: ToWorker) => {
    if (msg.kind === 'close') {
      port.close();
      return;
    }
    try {
      if (msg.kind === 'predict') {
        if (msg.sync) loadWeightsAndState(msg.state);
        if (model.predictBatch === undefined) throw new Error('the Trainable has no predictBatch');
        const out = model.predictBatch(msg.batch);
        const values = Float32Array.from(out.dataSync());
        const shape = [...out.shape];
        out.dispose();
        post({ kind: 'prediction', id: msg.id, values, shape }, [values.buffer]);
        return;
      }
      let failed = true;
      let loss = Number.NaN;
      let stateArrays: Float32Array<ArrayBuffer>[] = [];
      try {
        loadWeightsAndState(msg.state);
        const { value, grads } = tf.variableGrads(() => model.trainingLoss(msg.batch), vars);
        loss = value.dataSync()[0] ?? Number.NaN;
        vars.forEach((v, i) => {
          const g = grads[v.name];
          const off = offsets[i]!;
          if (g === undefined) {
            sharedGrads.fill(0, off, off + v.size);
            return;
          }
          const d = g.dataSync();
          for (let j = 0; j < d.length; j++) sharedGrads[off + j] = msg.scale * d[j]!;
        });
        value.dispose();
        tf.dispose(grads);
        stateArrays = states.map((v) => Float32Array.from(v.dataSync()));
        failed = false;
      } finally {
        // Every participant arrives, even after an error, so none waits forever; then each
        // sums its range of all slots (src/parallel/reduce.ts) unless someone failed, and with
        // an update steps the weights and moments of that range in place.
        if (arriveAndWait(barrier, msg.participants, failed)) {
          const r = variableRange(init.index, msg.participants, bounds);
          stepper.reduce(msg.participants, r.lo, r.hi);
          if (msg.update !== undefined)
            for (let j = r.first; j < r.last; j++)
              stepper.step(msg.update, bounds[j]!, bounds[j + 1]!);
        }
      }
      post(
        {
          kind: 'result',
          id: msg.id,
          loss,
          state: stateArrays,
          examples: model.batchSize(msg.batch),
        },
        stateArrays.map((a) => a.buffer),
      );
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      post({ kind: 'error', id: msg.id, message: err.message, stack: err.stack });
    }
  });
}

main().catch((e: unknown) => {
  const err = e instanceof Error ? e : new Error(String(e));
  parentPort?.postMessage({
    kind: 'error',
    id: -1,
    message: err.message,
    stack: err.stack,
  } satisfies FromWorker);
});
