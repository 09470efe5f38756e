import { describe, expect, it } from 'vitest';
import { parseLabelLines } from '@switchyard/cli';
import { gradeLabels } from '../src/grades.ts';

const answer = (customId: string, model: string) => JSON.stringify({ id: `r-${customId}`, custom_id: customId, response: { status_code: 200, body: {} }, error: null, x_switchyard: { model } });

describe('gradeLabels', () => {
  const models = ['a', 'b'];
  const queries = [
    { id: 'q1', quality: [1, 0] },
    { id: 'q2', quality: [0.5, Number.NaN] },
  ];

  it("labels each answer with the data set's grade for the model that answered", () => {
    const g = gradeLabels(`${answer('q1', 'b')}\n${answer('q2', 'a')}\n`, queries, models);
    expect(g).toMatchObject({ labelled: 2, ungraded: 0, unreadable: 0 });
    // What `switchyard label` reads back from the file.
    const parsed = parseLabelLines(g.text);
    expect(parsed.bad).toEqual([]);
    expect(parsed.labels.map((l) => [l.key, l.quality])).toEqual([
      [{ kind: 'custom', id: 'q1' }, 0],
      [{ kind: 'custom', id: 'q2' }, 0.5],
    ]);
  });

  it('counts answers without a grade and unreadable lines instead of labelling them', () => {
    const g = gradeLabels([answer('q2', 'b'), answer('q9', 'a'), answer('q1', 'zz'), 'not json', '{"custom_id":"q1"}'].join('\n'), queries, models);
    expect(g).toMatchObject({ labelled: 0, ungraded: 3, unreadable: 2 });
    expect(g.text).toBe('');
  });
});
