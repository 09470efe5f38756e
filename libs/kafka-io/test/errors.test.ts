import { describe, expect, it } from 'vitest';
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { KafkaIoError, classifyKafkaError } from '../src/errors.ts';

// Real kafkajs error objects, built the way kafkajs builds them from broker error codes.
function protocolError(type: string, code: number, retriable: boolean): KafkaJSProtocolError {
  return new KafkaJSProtocolError({ type, code, retriable, message: `broker said ${type}` } as unknown as Error);
}

describe('classifyKafkaError', () => {
  it.each([
    ['INVALID_PRODUCER_EPOCH', 47, false, 'fenced', false],
    ['PRODUCER_FENCED', 90, false, 'fenced', false],
    ['REBALANCE_IN_PROGRESS', 27, false, 'rebalance', true],
    ['CONCURRENT_TRANSACTIONS', 51, true, 'concurrent_transactions', true],
    ['NOT_COORDINATOR', 16, true, 'coordinator', true],
    ['TOPIC_AUTHORIZATION_FAILED', 29, false, 'authorization', false],
    ['MESSAGE_TOO_LARGE', 10, false, 'invalid_request', false],
    ['UNKNOWN_TOPIC_OR_PARTITION', 3, true, 'unknown_topic', true],
  ])('maps broker error %s to %s', (type, code, kafkaRetriable, expected, retriable) => {
    const err = classifyKafkaError(protocolError(type, code, kafkaRetriable));
    expect(err).toBeInstanceOf(KafkaIoError);
    expect(err).toMatchObject({ code: expected, retriable, brokerType: type });
  });

  it('finds the broker error under kafkajs retry wrappers', () => {
    const inner = protocolError('INVALID_PRODUCER_EPOCH', 47, false);
    const wrapped = new KafkaJSNumberOfRetriesExceeded(inner, { retryCount: 5, retryTime: 100 });
    expect(classifyKafkaError(wrapped)).toMatchObject({ code: 'fenced', brokerType: 'INVALID_PRODUCER_EPOCH' });
    // kafkajs passes `cause` at run time although its typings declare one argument.
    const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error;
    const nonRetriable = new NonRetriable(wrapped, { cause: wrapped });
    expect(classifyKafkaError(nonRetriable)).toMatchObject({ code: 'fenced' });
  });

  it('maps client-side connection errors by class, as retriable', () => {
    const err = classifyKafkaError(new KafkaJSConnectionError('Connection error: ECONNREFUSED'));
    expect(err).toMatchObject({ code: 'connection', retriable: true });
  });

  it('keeps an unknown broker type with kafkajs retriable flag', () => {
    expect(classifyKafkaError(protocolError('SOME_FUTURE_ERROR', 999, true))).toMatchObject({ code: 'unknown', retriable: true, brokerType: 'SOME_FUTURE_ERROR' });
  });

  it('does not look at message text', () => {
    expect(classifyKafkaError(new Error('The producer has been fenced (REBALANCE_IN_PROGRESS)'))).toMatchObject({ code: 'unknown', retriable: false });
  });

  it('passes KafkaIoError through unchanged and keeps the cause', () => {
    const original = new KafkaIoError('handler_failed', 'boom');
    expect(classifyKafkaError(original)).toBe(original);
    const cause = protocolError('REBALANCE_IN_PROGRESS', 27, false);
    expect(classifyKafkaError(cause).cause).toBe(cause);
  });
});
