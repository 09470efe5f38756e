export type {
  DeadLetterV1,
  DeferredV1,
  DeferredV2,
  DeferredV3,
  FailedAttemptV3,
  EpochMillis,
  HeaderV1,
  OutcomeV1,
  OutcomeV2,
  RequestFieldsV2,
  RequestV1,
  RequestV2,
  RequestV3,
  RerouteFieldsV3,
  RoutedBatchV1,
  RoutedBatchV2,
  RoutedBatchV3,
  RoutedRequestV1,
  RoutedRequestV2,
  RoutedRequestV3,
} from './types.ts';
export { unreadableDeadLetter } from './dead-letters.ts';
export type { UnreadableSource } from './dead-letters.ts';
export { DEAD_LETTER_REASONS, DEFER_REASONS, isDeadLetterReason, isDeferReason } from './reasons.ts';
export type { DeadLetterReason, DeferReason } from './reasons.ts';
export { ContractsError } from './errors.ts';
export type { ContractsErrorCode } from './errors.ts';
export { MAGIC_BYTE, WIRE_HEADER_BYTES, decodeWire, encodeWire } from './wire.ts';
export type { WireDecodeError, WireDecodeResult } from './wire.ts';
export { contracts, valueSubject } from './schemas.ts';
export type { Contract, ContractName } from './schemas.ts';
export { createRegistryClient, reportingRegistry } from './registry.ts';
export { createMemoryRegistry } from './memory-registry.ts';
export type { RegistryClientOptions, RegistryPort, SchemaInfo } from './registry.ts';
export { AvroSerde } from './serde.ts';
export type { AvroSerdeOptions, DecodeFailureReason, DecodeResult } from './serde.ts';
export {
  EMBEDDING_MIN_LENGTH,
  INT32_MAX,
  allowedModelsList,
  epochMillisRule,
  hasInput,
  hasLoneSurrogate,
  isBlankPrompt,
  maxOutputTokensRule,
  metadataMap,
  priorityRule,
  promptText,
  promptTokensRule,
  wellFormedText,
} from './request-rules.ts';
export { createOutcomeValidator, createRequestValidator, outcomeShape, requestShape } from './validate.ts';
export type { OutcomeLimits, RequestLimits, RequestValidator, ValidationResult } from './validate.ts';
export {
  sampleDeadLetter,
  sampleDeferred,
  sampleOutcome,
  sampleRequest,
  sampleRoutedBatch,
  sampleRoutedRequest,
} from './fixtures.ts';
