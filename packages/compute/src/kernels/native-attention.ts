import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs } from './wasm-heap.js';
import { asWasmBackend, input, makeFloat, view } from './wasm-heap.js';
import { loadNativeBlas, type NativeBlas } from './native-blas.js';
import { registerWasmKernels } from './register-wasm.js';

/**
 * Multi-head self-attention and erf-GELU as single native kernels on the wasm heap
 * (`native/fused.c`). The attention kernel reads Q, K, V straight from the fused QKV
 * projection ([B, T, 3·D], heads inside each third) and writes heads straight into
 * [B, T, D]: on get-small the stock path's 5-D Transpose, Unpack and their gradients took
 * 58 % of a training step (bench/profile.ts). The ops fall back to TF.js composites off
 * wasm or without the addon, with the same semantics.
 */

export const nativeKernelNames = {
  attention: 'ChromflowAttention',
  attentionGrad: 'ChromflowAttentionGrad',
  geluErf: 'ChromflowGeluErf',
  geluErfGrad: 'ChromflowGeluErfGrad',
} as const;

function offsetOf(backend: BackendWasm, t: TensorInfo): number {
  return backend.getMemoryOffset(t.dataId) / 4;
}

function heapOf(backend: BackendWasm, t: TensorInfo): ArrayBuffer {
  return view(backend, t).buffer as ArrayBuffer;
}

function attrNumber(args: KernelArgs, name: string): number {
  const v = args.attrs?.[name];
  if (typeof v !== 'number') throw new Error(`chromflow attention: attribute '${name}' missing`);
  return v;
}

/** Kernel configs over `blas` (registered by `registerWasmKernels` where the addon loads). */
export function nativeFusedConfigs(blas: NativeBlas): KernelConfig[] {
  const attention = (args: KernelArgs): TensorInfo[] => {
    const backend = asWasmBackend(args.backend);
    const qkv = input(args, 'qkv');
    const mask = args.inputs['mask'];
    const heads = attrNumber(args, 'heads');
    const [b, t, d3] = qkv.shape as [number, number, number];
    const d = d3 / 3;
    const dh = d / heads;
    const out = makeFloat(backend, [b, t, d]);
    const probs = makeFloat(backend, [b, heads, t, t]);
    blas.attention(
      heapOf(backend, out),
      offsetOf(backend, qkv),
      offsetOf(backend, out),
      offsetOf(backend, probs),
      mask === undefined ? -1 : offsetOf(backend, mask),
      b,
      t,
      heads,
      dh,
      1 / Math.sqrt(dh),
    );
    return [out, probs];
  };
  const attentionGrad = (args: KernelArgs): TensorInfo => {
    const backend = asWasmBackend(args.backend);
    const qkv = input(args, 'qkv');
    const probs = input(args, 'probs');
    const dy = input(args, 'dy');
    const heads = attrNumber(args, 'heads');
    const [b, t, d3] = qkv.shape as [number, number, number];
    const dh = d3 / 3 / heads;
    const dqkv = makeFloat(backend, [b, t, d3]);
    blas.attentionGrad(
      heapOf(backend, dqkv),
      offsetOf(backend, qkv),
      offsetOf(backend, probs),
      offsetOf(backend, dy),
      offsetOf(backend, dqkv),
      b,
      t,
      heads,
      dh,
      1 / Math.sqrt(dh),
    );
    return dqkv;
  };
  const gelu = (args: KernelArgs): TensorInfo => {
    const backend = asWasmBackend(args.backend);
    const x = input(args, 'x');
    const y = makeFloat(backend, [...x.shape]);
    const n = x.shape.reduce((a, s) => a * s, 1);
    if (n > 0) blas.geluErf(heapOf(backend, y), offsetOf(backend, x), offsetOf(backend, y), n);
    return y;
  };
  const geluGrad = (args: KernelArgs): TensorInfo => {
    const backend = asWasmBackend(args.backend);
    const x = input(args, 'x');
    const dy = input(args, 'dy');
    const dx = makeFloat(backend, [...x.shape]);
    const n = x.shape.reduce((a, s) => a * s, 1);
    if (n > 0) {
      blas.geluErfGrad(
        heapOf(backend, dx),
        offsetOf(backend, x),
        offsetOf(backend, dy),
        offsetOf(backend, dx),
        n,
      );
    }
    return dx;
  };
  const k = nativeKernelNames;
  return [
    { kernelName: k.attention, backendName: 'wasm', kernelFunc: attention },
    { kernelName: k.attentionGrad, backendName: 'wasm', kernelFunc: attentionGrad },
    { kernelName: k.geluErf, backendName: 'wasm', kernelFunc: gelu },
    { kernelName: k.geluErfGrad, backendName: 'wasm', kernelFunc: geluGrad },
  ];
}

/** True where the native fused kernels run (wasm backend with the addon loaded). */
export function nativeFusedActive(): boolean {
  if (tf.getBackend() !== 'wasm' || loadNativeBlas() === undefined) return false;
  registerWasmKernels();
  return true;
}

function runKernel(name: string, inputs: tf.NamedTensorMap, attrs = {}): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs, attrs);
  return Array.isArray(out) ? out : [out];
}

function tensorArg(a: unknown): tf.Tensor {
  if (!(a instanceof tf.Tensor)) throw new Error('customGrad argument is not a tensor');
  return a as tf.Tensor;
}

/** The composite the native kernel replaces (also its semantics): see `attentionFromQkv`. */
export function attentionFromQkvReference(
  qkv: tf.Tensor3D,
  heads: number,
  keyPaddingMask?: tf.Tensor2D,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, t, d3] = qkv.shape;
    const d = d3 / 3;
    const dh = d / heads;
    const [q, k, v] = tf.unstack(
      tf.transpose(tf.reshape(qkv, [b, t, 3, heads, dh]), [2, 0, 3, 1, 4]),
    ) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh));
    let keep: tf.Tensor | undefined;
    if (keyPaddingMask !== undefined) {
      const masked = tf.cast(tf.notEqual(keyPaddingMask, 0), 'float32');
      scores = tf.add(scores, tf.reshape(tf.mul(masked, -1e30), [b, 1, 1, t]));
      keep = tf.reshape(tf.cast(tf.less(tf.min(masked, 1), 0.5), 'float32'), [b, 1, 1, 1]);
    }
    let probs = tf.softmax(scores);
    if (keep !== undefined) probs = tf.mul(probs, keep);
    return tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [b, t, d]);
  });
}

/**
 * Multi-head scaled dot-product self-attention from a fused QKV projection.
 * `qkv` [B, T, 3·D]: Q, K, V are its thirds, each holding H heads of D/H ([B, T, 3, H, dh]);
 * returns the heads' contexts concatenated, [B, T, D] (before the output projection).
 * `keyPaddingMask` [B, T]: nonzero = a padding key no query attends to (PyTorch's
 * `key_padding_mask`); an example whose keys are all padding gets zero context.
 */
export function attentionFromQkv(
  qkv: tf.Tensor3D,
  heads: number,
  keyPaddingMask?: tf.Tensor2D,
): tf.Tensor3D {
  if (qkv.shape[2] % (3 * heads) !== 0) {
    throw new Error(
      `attentionFromQkv: expected the last axis to be 3·heads·d_head, but received ${qkv.shape[2]} for ${heads} heads`,
    );
  }
  if (!nativeFusedActive()) return attentionFromQkvReference(qkv, heads, keyPaddingMask);
  const mask =
    keyPaddingMask === undefined ? undefined : tf.cast(tf.notEqual(keyPaddingMask, 0), 'float32');
  const op = tf.customGrad((x, save) => {
    const xx = tensorArg(x);
    const [out, probs] = runKernel(
      nativeKernelNames.attention,
      mask === undefined ? { qkv: xx } : { qkv: xx, mask },
      { heads },
    ) as [tf.Tensor, tf.Tensor];
    (save as tf.GradSaveFunc)([xx, probs]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        runKernel(
          nativeKernelNames.attentionGrad,
          { qkv: tensorArg(saved[0]), probs: tensorArg(saved[1]), dy },
          { heads },
        )[0]!,
    };
  });
  const out = op(qkv) as tf.Tensor3D;
  mask?.dispose();
  return out;
}

/** x·Φ(x), PyTorch's `nn.GELU()` default (the erf form), as one native kernel each way. */
export function geluErfNative(x: tf.Tensor): tf.Tensor {
  if (!nativeFusedActive()) {
    return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
  }
  const op = tf.customGrad((a, save) => {
    const xx = tensorArg(a);
    (save as tf.GradSaveFunc)([xx]);
    return {
      value: runKernel(nativeKernelNames.geluErf, { x: xx })[0]!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        runKernel(nativeKernelNames.geluErfGrad, { x: tensorArg(saved[0]), dy })[0]!,
    };
  });
  return op(x);
}
