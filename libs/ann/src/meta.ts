import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { AnnError } from './errors.ts';

/**
 * Native index files do not record everything needed to reopen them (the usearch binding must be
 * constructed with the right dimension and metric before `load`; search-time ef is not saved by
 * hnswlib), so a small JSON side file travels with each: `<path>.meta.json`.
 */
export const metaSchema = z.object({
  version: z.literal(1),
  kind: z.enum(['hnsw', 'usearch']),
  dim: z.number().int().positive(),
  size: z.number().int().nonnegative(),
  m: z.number().int().positive(),
  efConstruction: z.number().int().positive(),
  efSearch: z.number().int().positive(),
  seed: z.number().int(),
  quantization: z.enum(['f32', 'f16', 'i8']).default('f32'),
  /** usearch: candidates per neighbour re-ranked with the stored f32 rows (0 = none). */
  rescore: z.number().int().nonnegative().default(0),
});
export type IndexMeta = z.infer<typeof metaSchema>;

export const metaPath = (path: string): string => `${path}.meta.json`;

export async function writeMeta(path: string, meta: IndexMeta): Promise<void> {
  try {
    await writeFile(metaPath(path), JSON.stringify(meta));
  } catch (e) {
    throw new AnnError('io', `cannot write ${metaPath(path)}: ${(e as Error).message}`, { cause: e });
  }
}

export async function readMeta(path: string, kind: IndexMeta['kind']): Promise<IndexMeta> {
  let text: string;
  try {
    text = await readFile(metaPath(path), 'utf8');
  } catch (e) {
    throw new AnnError('io', `cannot read ${metaPath(path)}: ${(e as Error).message}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new AnnError('bad_file', `${metaPath(path)}: not JSON`, { cause: e });
  }
  const parsed = metaSchema.safeParse(json);
  if (!parsed.success) throw new AnnError('bad_file', `${metaPath(path)}: ${parsed.error.message}`, { cause: parsed.error });
  if (parsed.data.kind !== kind) throw new AnnError('bad_file', `${path} holds a ${parsed.data.kind} index, not ${kind}`);
  return parsed.data;
}
