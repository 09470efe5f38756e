// The recorder's configuration: the shared, frozen SwitchyardConfig (Kafka, registry, Postgres,
// topics, models and their prices) plus an `outcomeRecorder` section parsed here once.
import { z } from 'zod';
import { defineServiceConfig } from '@switchyard/config';
import type { SwitchyardConfig } from '@switchyard/config';

const positiveInt = z.number().int().positive();

export const outcomeRecorderSchema = z
  .object({
    groupId: z.string().min(1).optional().describe('Consumer group of the outcomes topic; default "<kafka.clientId>.outcome-recorder". Also the transactional id prefix.'),
    instanceId: z.string().min(1).default('recorder-1').describe('Name of this instance in dead letters and logs.'),
    maxInFlightBatches: positiveInt.default(2).describe('Partitions recorded concurrently (each holds one Postgres connection while it writes).'),
    fromBeginning: z.boolean().default(true).describe('A new consumer group reads the outcomes topic from the start.'),
    httpHost: z.string().default('0.0.0.0'),
    httpPort: z.number().int().min(0).max(65_535).nullable().default(9_465).describe('Metrics and health; 0 picks a free port, null serves none.'),
    consumerLagPollMs: positiveInt.default(5_000).describe('How often the lag of the recorder\'s consumer group is read from the broker (the switchyard_consumer_lag metric).'),
  })
  .strict();

export type OutcomeRecorderInput = z.input<typeof outcomeRecorderSchema>;
export type OutcomeRecorderSettings = Readonly<z.output<typeof outcomeRecorderSchema>>;

export interface OutcomeRecorderConfig {
  readonly switchyard: SwitchyardConfig;
  readonly service: OutcomeRecorderSettings;
}

export class OutcomeRecorderConfigError extends Error {
  override readonly name = 'OutcomeRecorderConfigError';
  readonly code = 'invalid_config' as const;
  readonly retriable = false;
}

export const parseOutcomeRecorderConfig: (input: unknown) => OutcomeRecorderSettings = defineServiceConfig(outcomeRecorderSchema, {
  section: 'outcomeRecorder',
  label: 'outcome-recorder',
  error: (message, options) => new OutcomeRecorderConfigError(message, options),
  freeze: 'shallow',
});

export function compileOutcomeRecorderConfig(switchyard: SwitchyardConfig, service: OutcomeRecorderSettings): OutcomeRecorderConfig {
  if (switchyard.postgres === undefined) throw new OutcomeRecorderConfigError('postgres.connectionString: the recorder writes outcomes to Postgres');
  return Object.freeze({ switchyard, service });
}
