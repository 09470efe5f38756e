// The compact form a decision's embedding is stored in (decisions.embedding) and read back for
// feedback: a float32 scale followed by one int8 per dimension. Pure, so the engine that
// writes it and the store that holds it share one codec.

/** Bytes of an encoded embedding: float32 scale + one int8 per dimension. */
export function encodedEmbeddingBytes(dim: number): number {
  return 4 + dim;
}

/** int8 quantisation of one vector with a per-vector scale (max |v| / 127). */
export function encodeEmbeddingInt8(v: ArrayLike<number>): Uint8Array {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]!));
  const scale = max > 0 ? max / 127 : 0;
  const out = new Uint8Array(4 + v.length);
  new DataView(out.buffer).setFloat32(0, scale, true);
  const q = new Int8Array(out.buffer, 4);
  for (let i = 0; i < v.length; i++) q[i] = scale > 0 ? Math.max(-127, Math.min(127, Math.round(v[i]! / scale))) : 0;
  return out;
}

/** Inverse of encodeEmbeddingInt8 (up to the quantisation error, at most scale / 2 per value). */
export function decodeEmbeddingInt8(bytes: Uint8Array): Float32Array {
  if (bytes.length < 4) throw new RangeError(`an encoded embedding has at least 4 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const scale = view.getFloat32(0, true);
  const out = new Float32Array(bytes.length - 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt8(4 + i) * scale;
  return out;
}
