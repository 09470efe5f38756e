// Late labels from the data set's grades, pure. A real endpoint reports no quality, so the
// demo closes the loop as a user would: for each answered line of results.jsonl (custom_id =
// the dataset id, x_switchyard.model = the model that answered) it looks up the grade the data
// set recorded for that model on that query, and writes a `switchyard label` file.

export interface GradedQuery {
  readonly id: string;
  /** One grade per model, in `models` order; NaN where the data set has none. */
  readonly quality: ArrayLike<number>;
}

export interface GradeLabels {
  /** JSONL for `switchyard label`: `{"custom_id": ..., "quality": q}` per graded answer. */
  readonly text: string;
  readonly labelled: number;
  /** Answers the data set has no grade for (unknown id or model, or no grade recorded). */
  readonly ungraded: number;
  /** Lines of results.jsonl that could not be read. */
  readonly unreadable: number;
}

function answerOf(raw: string): { customId: string; model: string } | null {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as { custom_id?: unknown; x_switchyard?: { model?: unknown } };
  if (typeof o.custom_id !== 'string' || typeof o.x_switchyard?.model !== 'string') return null;
  return { customId: o.custom_id, model: o.x_switchyard.model };
}

export function gradeLabels(resultsText: string, queries: readonly GradedQuery[], models: readonly string[]): GradeLabels {
  const byId = new Map(queries.map((q) => [q.id, q]));
  const lines: string[] = [];
  let ungraded = 0;
  let unreadable = 0;
  for (const raw of resultsText.split('\n')) {
    if (raw.trim() === '') continue;
    const a = answerOf(raw);
    if (a === null) {
      unreadable++;
      continue;
    }
    const k = models.indexOf(a.model);
    const q = k >= 0 ? byId.get(a.customId)?.quality[k] : undefined;
    if (q === undefined || !Number.isFinite(q) || q < 0 || q > 1) {
      ungraded++;
      continue;
    }
    lines.push(JSON.stringify({ custom_id: a.customId, quality: q }));
  }
  return { text: lines.map((l) => `${l}\n`).join(''), labelled: lines.length, ungraded, unreadable };
}
