// Where the executor remembers which provider batch a routed batch was submitted as: Postgres
// (switchyard.provider_batches) in the service, so a restart or another instance resumes
// polling instead of submitting again; a Map for tests and one-process runs.
import { findProviderBatch, saveProviderBatch, setProviderBatchStatus } from '@switchyard/store';
import type { Pool, ProviderBatchRecord } from '@switchyard/store';
import type { ProviderBatchLedger } from './provider-batch.ts';

export function postgresLedger(pool: Pool): ProviderBatchLedger {
  return {
    find: (routedBatchId, model) => findProviderBatch(pool, routedBatchId, model),
    save: (record) => saveProviderBatch(pool, record),
    setStatus: (r, status) => setProviderBatchStatus(pool, r.routedBatchId, r.model, r.providerBatchId, status),
  };
}

/** A ledger in memory: forgotten on restart, when a routed batch consumed again is submitted again. */
export function memoryLedger(): ProviderBatchLedger & { readonly records: ReadonlyMap<string, ProviderBatchRecord> } {
  const records = new Map<string, ProviderBatchRecord>();
  const key = (batchId: string, model: string): string => `${model}\u0000${batchId}`;
  return {
    records,
    find: async (routedBatchId, model) => records.get(key(routedBatchId, model)) ?? null,
    save: async (record) => {
      records.set(key(record.routedBatchId, record.model), record);
    },
    setStatus: async (r, status) => {
      const k = key(r.routedBatchId, r.model);
      const had = records.get(k);
      if (had !== undefined && had.providerBatchId === r.providerBatchId) records.set(k, { ...had, status });
    },
  };
}
