// Avro serde over the Confluent wire format, with the schema registry as the source of
// writer schemas. Reader schema = our latest bundled version; writer schema = whatever the
// schema id in the message names, resolved with Avro schema resolution rules.
// Bad input bytes never throw: they come back as a DecodeResult with a dead-letter reason.
import avro from 'avsc';
import { ContractsError } from './errors.ts';
import type { DeadLetterReason } from './reasons.ts';
import { classifyRegistryError } from './registry.ts';
import type { RegistryPort } from './registry.ts';
import { valueSubject } from './schemas.ts';
import type { Contract } from './schemas.ts';
import { MAGIC_BYTE, WIRE_HEADER_BYTES, decodeWire } from './wire.ts';

/** The encode scratch buffer keeps its size up to this; a larger record gets a buffer of its own. */
const MAX_SCRATCH_BYTES = 16 * 1024 * 1024;

export type DecodeFailureReason = Extract<DeadLetterReason, 'undecodable' | 'unknown_schema' | 'wrong_schema'>;

export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T; readonly schemaId: number }
  | { readonly ok: false; readonly reason: DecodeFailureReason; readonly detail: string; readonly schemaId: number | null };

export interface AvroSerdeOptions {
  /**
   * Register the reader schema under `<topic>-value` (producers) or only look up its id
   * (consumers; the subject must exist). Default: true.
   */
  readonly autoRegister?: boolean;
  /** Bound on cached writer schemas (known and unknown ids). Default 1024. */
  readonly maxCachedSchemaIds?: number;
}

type WriterEntry =
  | { readonly ok: true; readonly resolver: avro.Resolver | null; readonly writerType: avro.Type }
  | { readonly ok: false; readonly reason: 'unknown_schema' | 'wrong_schema'; readonly detail: string };

export class AvroSerde<T> {
  readonly subject: string;
  readonly schemaId: number;
  readonly contract: Contract<T>;
  private readonly registry: RegistryPort;
  private readonly writers = new Map<number, Promise<WriterEntry>>();
  private readonly maxCachedSchemaIds: number;
  private scratch: Buffer = Buffer.allocUnsafe(16 * 1024);

  private constructor(registry: RegistryPort, contract: Contract<T>, subject: string, schemaId: number, maxCached: number) {
    this.registry = registry;
    this.contract = contract;
    this.subject = subject;
    this.schemaId = schemaId;
    this.maxCachedSchemaIds = maxCached;
    this.writers.set(schemaId, Promise.resolve({ ok: true, resolver: null, writerType: contract.type }));
  }

  /** Registers (or looks up) the contract's schema under `<topic>-value` and returns a serde bound to it. */
  static async forTopic<T>(registry: RegistryPort, topic: string, contract: Contract<T>, options: AvroSerdeOptions = {}): Promise<AvroSerde<T>> {
    const subject = valueSubject(topic);
    const info = { schemaType: 'AVRO', schema: contract.schemaText };
    let schemaId: number;
    try {
      // register() is idempotent in the Confluent API: an identical schema returns the existing id.
      schemaId = options.autoRegister === false
        ? await registry.getId(subject, info, false)
        : await registry.register(subject, info, false);
    } catch (err) {
      const failure = classifyRegistryError(err, `${options.autoRegister === false ? 'look up' : 'register'} ${contract.fullName} under ${subject}`);
      throw new ContractsError('registry_rejected', failure.detail, { cause: err });
    }
    return new AvroSerde(registry, contract, subject, schemaId, options.maxCachedSchemaIds ?? 1024);
  }

  /** Encodes with the reader (latest) schema. Throws ContractsError('invalid_value') on a caller bug. */
  encode(value: T): Buffer {
    try {
      return this.encodeInto(value);
    } catch (cause) {
      throw new ContractsError('invalid_value', `value does not conform to ${this.contract.fullName}: ${describeInvalid(this.contract.type, value)}`, { cause });
    }
  }

  /**
   * Encodes after the wire header in a scratch buffer that grows to the largest record seen, then
   * copies out. avsc's toBuffer writes into a fixed 1 KB buffer and, for anything larger (every
   * request with a real prompt, every routed batch), encodes the whole value a second time.
   */
  private encodeInto(value: T): Buffer {
    let end = this.contract.type.encode(value, this.scratch, WIRE_HEADER_BYTES);
    if (end < 0) {
      // A negative end is the number of bytes missing.
      const needed = this.scratch.length - end;
      const grown = Buffer.allocUnsafe(Math.max(needed, 2 * this.scratch.length));
      if (grown.length <= MAX_SCRATCH_BYTES) this.scratch = grown;
      end = this.contract.type.encode(value, grown, WIRE_HEADER_BYTES);
      return this.withHeader(grown, end);
    }
    return this.withHeader(this.scratch, end);
  }

  private withHeader(buf: Buffer, end: number): Buffer {
    const out = Buffer.allocUnsafe(end);
    buf.copy(out, WIRE_HEADER_BYTES, WIRE_HEADER_BYTES, end);
    out.writeUInt8(MAGIC_BYTE, 0);
    out.writeUInt32BE(this.schemaId, 1);
    return out;
  }

  /** Decodes one record value. Never throws on bad bytes; throws ContractsError only if the registry is broken. */
  async decode(bytes: Uint8Array | null | undefined): Promise<DecodeResult<T>> {
    const wire = decodeWire(bytes);
    if (!wire.ok) {
      return { ok: false, reason: 'undecodable', detail: `${wire.error}: ${wire.detail}`, schemaId: null };
    }
    const writer = await this.writerFor(wire.schemaId);
    if (!writer.ok) {
      return { ok: false, reason: writer.reason, detail: writer.detail, schemaId: wire.schemaId };
    }
    try {
      const value = (writer.resolver === null
        ? this.contract.type.fromBuffer(wire.body)
        : this.contract.type.fromBuffer(wire.body, writer.resolver)) as T;
      if (containsReplacementChar(value) && !isUtf8Exact(writer.writerType, wire.body)) {
        return { ok: false, reason: 'undecodable', detail: 'avro body: a string is not valid UTF-8', schemaId: wire.schemaId };
      }
      return { ok: true, value, schemaId: wire.schemaId };
    } catch (err) {
      return { ok: false, reason: 'undecodable', detail: `avro body: ${err instanceof Error ? err.message : String(err)}`, schemaId: wire.schemaId };
    }
  }

  private writerFor(schemaId: number): Promise<WriterEntry> {
    const cached = this.writers.get(schemaId);
    if (cached !== undefined) return cached;
    const pending = this.fetchWriter(schemaId);
    if (this.writers.size >= this.maxCachedSchemaIds) {
      // Evict the oldest id that is not our own; keeps a flood of random ids from growing memory.
      for (const id of this.writers.keys()) {
        if (id !== this.schemaId) {
          this.writers.delete(id);
          break;
        }
      }
    }
    this.writers.set(schemaId, pending);
    // A broken registry must not poison the cache: forget the id so a retry asks again.
    pending.catch(() => this.writers.delete(schemaId));
    return pending;
  }

  private async fetchWriter(schemaId: number): Promise<WriterEntry> {
    let info;
    try {
      info = await this.registry.getBySubjectAndId(this.subject, schemaId);
    } catch (err) {
      const failure = classifyRegistryError(err, `schema id ${schemaId}`);
      return { ok: false, reason: 'unknown_schema', detail: failure.detail };
    }
    if (info.schemaType !== undefined && info.schemaType !== 'AVRO') {
      return { ok: false, reason: 'wrong_schema', detail: `schema id ${schemaId} is ${info.schemaType}, expected AVRO` };
    }
    let writerType: avro.Type;
    try {
      writerType = avro.Type.forSchema(JSON.parse(info.schema) as avro.Schema);
    } catch (err) {
      return { ok: false, reason: 'wrong_schema', detail: `schema id ${schemaId} is not a valid Avro schema: ${err instanceof Error ? err.message : String(err)}` };
    }
    try {
      const resolver = this.contract.type.createResolver(writerType);
      return { ok: true, resolver, writerType };
    } catch (err) {
      return {
        ok: false,
        reason: 'wrong_schema',
        detail: `schema id ${schemaId} (${writerType.name ?? writerType.typeName}) cannot be read as ${this.contract.fullName}: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }
}

// Avro strings are UTF-8, but Node's decoder silently turns invalid sequences (a CESU-8 lone
// surrogate, 0xFF, a cut sequence) into U+FFFD, which would route a rewritten prompt. A decoded
// string holding U+FFFD is therefore checked against the bytes: re-encoded with the writer
// schema it must give the body back. Only records with U+FFFD pay for the check; a valid U+FFFD
// passes it (a writer that used non-canonical varints or array blocks would not, and such a
// record is refused as undecodable).
function containsReplacementChar(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\uFFFD');
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return false;
  if (Array.isArray(value)) return value.some(containsReplacementChar);
  return Object.values(value).some(containsReplacementChar);
}

function isUtf8Exact(writerType: avro.Type, body: Buffer): boolean {
  try {
    return writerType.toBuffer(writerType.fromBuffer(body)).equals(body);
  } catch {
    return false;
  }
}

function describeInvalid(type: avro.Type, value: unknown): string {
  const paths: string[] = [];
  type.isValid(value, { errorHook: (path: string[]) => paths.push(path.join('.') || '<root>') });
  return paths.length > 0 ? `invalid at ${paths.slice(0, 5).join(', ')}` : 'not encodable';
}
