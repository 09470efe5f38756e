// Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the Avro binary body.
// https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format
// Pure functions over bytes; malformed input is a value, never an exception.

export const MAGIC_BYTE = 0;
export const WIRE_HEADER_BYTES = 5;

export type WireDecodeError = 'bad_magic' | 'truncated';

export type WireDecodeResult =
  | { readonly ok: true; readonly schemaId: number; readonly body: Buffer }
  | { readonly ok: false; readonly error: WireDecodeError; readonly detail: string };

export function encodeWire(schemaId: number, body: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff) {
    throw new RangeError(`schema id must be an unsigned 32-bit integer, got ${schemaId}`);
  }
  const out = Buffer.allocUnsafe(WIRE_HEADER_BYTES + body.length);
  out.writeUInt8(MAGIC_BYTE, 0);
  out.writeUInt32BE(schemaId, 1);
  out.set(body, WIRE_HEADER_BYTES);
  return out;
}

export function decodeWire(bytes: Uint8Array | null | undefined): WireDecodeResult {
  if (bytes == null || bytes.length === 0) {
    return { ok: false, error: 'truncated', detail: 'empty value' };
  }
  if (bytes[0] !== MAGIC_BYTE) {
    return { ok: false, error: 'bad_magic', detail: `first byte is 0x${bytes[0]!.toString(16).padStart(2, '0')}, expected 0x00` };
  }
  if (bytes.length < WIRE_HEADER_BYTES) {
    return { ok: false, error: 'truncated', detail: `${bytes.length} bytes, the header alone needs ${WIRE_HEADER_BYTES}` };
  }
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return { ok: true, schemaId: buf.readUInt32BE(1), body: buf.subarray(WIRE_HEADER_BYTES) };
}
