import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeWire, encodeWire, MAGIC_BYTE } from '../src/wire.ts';

describe('wire format', () => {
  it('writes magic byte 0 and a big-endian schema id before the body', () => {
    const out = encodeWire(0x01020304, Buffer.from([9, 8, 7]));
    expect([...out]).toEqual([MAGIC_BYTE, 1, 2, 3, 4, 9, 8, 7]);
  });

  it('round-trips any id and body', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 64 }), (id, body) => {
        const decoded = decodeWire(encodeWire(id, body));
        expect(decoded.ok).toBe(true);
        if (decoded.ok) {
          expect(decoded.schemaId).toBe(id);
          expect([...decoded.body]).toEqual([...body]);
        }
      }),
    );
  });

  it('accepts a plain Uint8Array view with an offset', () => {
    const backing = new Uint8Array([0xff, 0, 0, 0, 0, 7, 42]);
    const decoded = decodeWire(backing.subarray(1));
    expect(decoded).toMatchObject({ ok: true, schemaId: 7 });
    if (decoded.ok) expect([...decoded.body]).toEqual([42]);
  });

  it.each([
    ['null', null],
    ['empty', Buffer.alloc(0)],
    ['header cut short', Buffer.from([0, 0, 0, 1])],
  ])('reports %s input as truncated', (_name, bytes) => {
    expect(decodeWire(bytes)).toMatchObject({ ok: false, error: 'truncated' });
  });

  it('reports a non-zero first byte as bad_magic (e.g. JSON sent to an Avro topic)', () => {
    expect(decodeWire(Buffer.from('{"requestId":"x"}'))).toMatchObject({ ok: false, error: 'bad_magic' });
  });

  it('rejects schema ids that do not fit the 4-byte header', () => {
    expect(() => encodeWire(-1, Buffer.alloc(0))).toThrow(RangeError);
    expect(() => encodeWire(2 ** 32, Buffer.alloc(0))).toThrow(RangeError);
  });
});
