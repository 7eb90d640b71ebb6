import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/init-backend.js';
import '../backend/register-gradients.js';
import { loadTrainable } from './load-trainable.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

/**
 * A data-parallel training worker: builds the same Trainable as the main
 * thread, and for each step loads the broadcast weights and state, computes
 * loss and gradients of its shard, and returns them with its updated state.
 */
async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('worker.ts must run in a worker thread');
  const init = workerData as WorkerInit;
  const info = await initBackend({ backend: init.backend, quiet: true });
  const model = await loadTrainable(init.module, init.factory, init.config, init.seed);
  const vars = model.trainableVariables();
  const states = model.stateVariables();
  const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  post({
    kind: 'ready',
    trainableSizes: vars.map((v) => v.size),
    stateSizes: states.map((v) => v.size),
    backend: info.name,
  });
  port.on('message', (msg: ToWorker) => {
    if (msg.kind === 'close') {
      port.close();
      return;
    }
    try {
      tf.tidy(() => {
        vars.forEach((v, i) => v.assign(tf.tensor(msg.weights[i]!, v.shape, 'float32')));
        states.forEach((v, i) => v.assign(tf.tensor(msg.state[i]!, v.shape, 'float32')));
      });
      const { value, grads } = tf.variableGrads(() => model.trainingLoss(msg.batch), vars);
      const loss = value.dataSync()[0] ?? Number.NaN;
      const gradArrays = vars.map((v) => {
        const g = grads[v.name];
        return g === undefined ? new Float32Array(v.size) : Float32Array.from(g.dataSync());
      });
      value.dispose();
      tf.dispose(grads);
      const stateArrays = states.map((v) => Float32Array.from(v.dataSync()));
      post(
        {
          kind: 'result',
          id: msg.id,
          loss,
          grads: gradArrays,
          state: stateArrays,
          examples: model.batchSize(msg.batch),
        },
        [...gradArrays, ...stateArrays].map((a) => a.buffer),
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
