import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** The repository root (services/demo/src/../../..): `out/` for demo artefacts lives there. */
export const repoRootDir: string = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
