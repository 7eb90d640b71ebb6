/**
 * `@tensorflow/tfjs-core` alone registers no gradient functions (the union
 * package `@tensorflow/tfjs` does, by bundling tfjs-core's
 * `register_all_gradients`). tfjs-layers' Node bundle carries the same
 * registrations into the shared global registry, so importing it for its side
 * effect makes `tf.grads`/`tf.variableGrads` work with tfjs-core only.
 */
import '@tensorflow/tfjs-layers';
