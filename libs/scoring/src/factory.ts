import { ScoringError } from './errors.ts';
import { GpujsScoringBackend } from './gpujs-backend.ts';
import type { GpujsBackendOptions } from './gpujs-backend.ts';
import { TsScoringBackend } from './ts-backend.ts';
import type { ScoringBackend, ScoringBackendKind } from './types.ts';

export function createScoringBackend(kind: ScoringBackendKind, options: GpujsBackendOptions = {}): ScoringBackend {
  switch (kind) {
    case 'ts':
      return new TsScoringBackend();
    case 'gpujs':
      return new GpujsScoringBackend(options);
    default: {
      const unknownKind: never = kind;
      throw new ScoringError('backend_unavailable', `unknown scoring backend '${String(unknownKind)}'`);
    }
  }
}
