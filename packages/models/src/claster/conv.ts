import * as tf from '@tensorflow/tfjs-core';

/**
 * 2-D convolution NHWC with PyTorch-style explicit "same" padding — per axis
 * left = ⌊d(k−1)/2⌋, right the rest, output ⌈n/s⌉ — plus bias. TF.js has no
 * gradient for dilated convolutions and only slow wasm gradients for strided
 * ones, so both are rewritten as stride-1, dilation-1 convolutions (chromflow's
 * fast wasm kernels), exactly:
 *  - dilation d: the padded input splits into d phases (positions ≡ p mod d),
 *    each convolved with the undilated kernel, the outputs interleaved back;
 *  - stride s along the width with k divisible by s: s consecutive positions
 *    fold into the channels (a free reshape), the kernel's taps likewise,
 *    leaving a stride-1 convolution with k/s taps.
 * Strides other than that (the contact branch's 5 × 5 / 2) use `tf.conv2d`'s
 * own strides. A stride and a dilation > 1 on the same axis are refused.
 * `filter` [kh, kw, cin, cout] (PyTorch's weight permuted (2, 3, 1, 0)).
 */
export function conv2dSame(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | undefined,
  stride: [number, number] = [1, 1],
  dilation: [number, number] = [1, 1],
): tf.Tensor4D {
  const [kh, kw] = filter.shape;
  for (let a = 0; a < 2; a++) {
    if (stride[a]! > 1 && dilation[a]! > 1)
      throw new RangeError('conv2dSame: stride and dilation > 1 on the same axis');
  }
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const pad = (n: number, k: number, s: number, d: number): [number, number] => {
      const total = d * (k - 1);
      const left = Math.floor(total / 2);
      const out = Math.ceil(n / s);
      // Input extent the last output reads: s·(out − 1) + d·(k − 1) + 1.
      const right = s * (out - 1) + total + 1 - n - left;
      if (right < 0) throw new RangeError(`conv2dSame: kernel ${k} too small for stride ${s}`);
      return [left, right];
    };
    const ph = pad(h, kh, stride[0], dilation[0]);
    const pw = pad(w, kw, stride[1], dilation[1]);
    let xp = tf.pad(x, [[0, 0], ph, pw, [0, 0]]);
    let y: tf.Tensor4D;
    if (dilation[0] > 1 || dilation[1] > 1) {
      y = dilated(xp, filter, dilation, h, w);
    } else if (stride[0] === 1 && stride[1] > 1 && kw % stride[1] === 0) {
      const s = stride[1];
      const [b, hp, wp, c] = xp.shape;
      // Pad the width to a multiple of s (the extra zeros meet only zero-free taps beyond the output).
      const extra = (s - (wp % s)) % s;
      if (extra > 0)
        xp = tf.pad(xp, [
          [0, 0],
          [0, 0],
          [0, extra],
          [0, 0],
        ]);
      const folded = tf.reshape<tf.Rank.R4>(xp, [b, hp, (wp + extra) / s, s * c]);
      const f = tf.reshape<tf.Rank.R4>(filter, [kh, kw / s, s * c, filter.shape[3]]);
      y = tf.conv2d(folded, f, 1, 'valid');
    } else {
      y = tf.conv2d(xp, filter, stride, 'valid');
    }
    return bias ? tf.add(y, bias) : y;
  });
}

/** Stride-1 dilated convolution of the already padded `xp` by phase decomposition; output [B, h, w, cout]. */
function dilated(
  xp: tf.Tensor4D,
  filter: tf.Tensor4D,
  [dh, dw]: [number, number],
  h: number,
  w: number,
): tf.Tensor4D {
  const [b, hp, wp, c] = xp.shape;
  const [kh, kw, , cout] = filter.shape;
  const eh = (dh - (hp % dh)) % dh;
  const ew = (dw - (wp % dw)) % dw;
  let x = xp;
  if (eh > 0 || ew > 0)
    x = tf.pad(x, [
      [0, 0],
      [0, eh],
      [0, ew],
      [0, 0],
    ]);
  const qh = (hp + eh) / dh;
  const qw = (wp + ew) / dw;
  if (dh === 1 && kh === 1) {
    // Width-only dilation (the landscape): rank-4 views, which wasm transposes and slices fast.
    const ph = tf.reshape<tf.Rank.R4>(
      tf.transpose(tf.reshape(x, [b * qh, qw, dw, c]), [0, 2, 1, 3]),
      [b * qh * dw, 1, qw, c],
    );
    const yw = tf.conv2d(ph, filter, 1, 'valid');
    const ow = qw - kw + 1;
    const y = tf.reshape<tf.Rank.R4>(
      tf.transpose(tf.reshape(yw, [b * qh, dw, ow, cout]), [0, 2, 1, 3]),
      [b, qh, ow * dw, cout],
    );
    return tf.slice(y, [0, 0, 0, 0], [b, h, w, cout]);
  }
  // [B, qh, dh, qw, dw, C] → [B, dh, dw, qh, qw, C] → phases as batch entries.
  const phases = tf.reshape<tf.Rank.R4>(
    tf.transpose(tf.reshape(x, [b, qh, dh, qw, dw, c]), [0, 2, 4, 1, 3, 5]),
    [b * dh * dw, qh, qw, c],
  );
  const yp = tf.conv2d(phases, filter, 1, 'valid');
  const oh = qh - kh + 1;
  const ow = qw - kw + 1;
  const y = tf.reshape<tf.Rank.R4>(
    tf.transpose(tf.reshape(yp, [b, dh, dw, oh, ow, cout]), [0, 3, 1, 4, 2, 5]),
    [b, oh * dh, ow * dw, cout],
  );
  return tf.slice(y, [0, 0, 0, 0], [b, h, w, cout]);
}
