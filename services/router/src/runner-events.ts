// What the router logs and counts for each event of its transactional runners.
import type { Logger } from 'pino';
import type { RunnerEvent } from '@switchyard/kafka-io';
import type { RouterMetrics } from './metrics.ts';

export function runnerEventHandler(log: Logger, metrics: RouterMetrics): (event: RunnerEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'unreadable':
        metrics.observeUnreadable(event.topic, event.offsets);
        log.error({ topic: event.topic, partition: event.partition, ...event.batch, offsets: event.offsets }, 'record batch could not be decoded: dead-lettered and committed past');
        return;
      case 'committed':
        metrics.observeTransaction('committed');
        log.debug(event, 'slice committed');
        return;
      case 'aborted':
        metrics.observeTransaction('aborted');
        log.warn({ topic: event.topic, partition: event.partition, firstOffset: event.firstOffset, attempt: event.attempt, err: event.error }, 'slice aborted; it will be re-read');
        return;
      case 'fenced':
        metrics.observeTransaction('fenced');
        log.warn({ topic: event.topic, partition: event.partition }, 'producer fenced: another instance owns the partition');
        return;
      case 'repositioned':
        metrics.observeTransaction('repositioned');
        log.info(event, 'partition repositioned to its committed offset');
        return;
      case 'consumer_restarting':
        log.warn({ attempt: event.attempt, delayMs: event.delayMs, err: event.error }, 'consumer stopped on a retriable error; starting it again after a backoff');
        return;
      case 'stale_member_left':
        log.info({ memberId: event.memberId, result: event.result }, 'left the group for the member that crashed, so the rejoin does not wait for its session to time out');
        return;
      case 'fatal':
        log.error({ err: event.error }, 'runner failed');
        return;
      case 'paused':
      case 'resumed':
        log.debug({ event: event.type }, 'fetching backpressure');
        return;
      default:
        log.info({ event }, 'runner event');
    }
  };
}
