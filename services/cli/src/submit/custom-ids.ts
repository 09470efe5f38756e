// custom_id must be unique within a job: the results file is keyed by it, and two requests
// with one id could not be told apart there. Every id seen is kept with the line it came from,
// so a repeat names the first line. Cost: a Map entry per good line, about 60 MB of heap per
// million ids of ~16 characters (measured with node 20; longer ids cost their length in
// bytes more), which the submit process can afford for the million-line files this is for.
// An exact map rather than a hash or Bloom filter: a false "duplicate" would drop a good line.

export type IdCheck = { readonly ok: true } | { readonly ok: false; readonly error: string };

export class CustomIdRegistry {
  readonly #firstLine = new Map<string, number>();

  /** Records the id for this line, or says which earlier line already used it. */
  claim(customId: string, lineNo: number): IdCheck {
    const first = this.#firstLine.get(customId);
    if (first !== undefined) return { ok: false, error: `custom_id "${customId}" repeats line ${first} (custom_id must be unique in a job)` };
    this.#firstLine.set(customId, lineNo);
    return { ok: true };
  }

  get size(): number {
    return this.#firstLine.size;
  }
}
