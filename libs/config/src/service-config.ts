// The scaffold every service's own config section shares: parse the section with its zod
// schema at the edge, name each issue by its path under the section, throw the service's error
// class, and freeze the result.
import type { z } from 'zod';
import { deepFreeze } from './load.ts';

export interface ServiceConfigOptions {
  /** How issue paths are prefixed (`service`, `executorSim`, ...). */
  readonly section: string;
  /** Names the section in the error message (`router service`, `executor-sim`, ...). */
  readonly label: string;
  /** The service's config error. */
  readonly error: (message: string, options: { cause: unknown }) => Error;
  /** 'deep' (default) freezes nested objects too; 'shallow' only the top level. */
  readonly freeze?: 'deep' | 'shallow';
}

/** A parser of one service's config section: absent input parses as `{}` (all defaults). */
export function defineServiceConfig<S extends z.ZodType>(schema: S, options: ServiceConfigOptions): (input: unknown) => Readonly<z.output<S>> {
  return (input) => {
    const r = schema.safeParse(input ?? {});
    if (!r.success) {
      const detail = r.error.issues.map((i) => `${options.section}.${i.path.join('.') || '(root)'}: ${i.message} (${i.code})`).join('; ');
      throw options.error(`invalid ${options.label} config: ${detail}`, { cause: r.error });
    }
    return options.freeze === 'shallow' ? Object.freeze(r.data) : (deepFreeze(r.data) as Readonly<z.output<S>>);
  };
}
