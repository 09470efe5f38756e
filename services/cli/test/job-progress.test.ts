import { describe, expect, it } from 'vitest';
import { describeProgress } from '../src/jobs-command.ts';
import { progressOf } from '../src/job-progress.ts';

describe('progressOf', () => {
  it('is complete only once every sent request finished and the submission is over', () => {
    expect(progressOf(10, 'submitted', { succeeded: 7, failed: 2 })).toEqual({ sent: 10, succeeded: 7, failed: 2, unfinished: 1, completed: false });
    expect(progressOf(10, 'submitted', { succeeded: 8, failed: 2 }).completed).toBe(true);
    expect(progressOf(10, 'submitting', { succeeded: 10, failed: 0 }).completed).toBe(false);
    expect(progressOf(10, 'failed', { succeeded: 10, failed: 0 }).completed).toBe(false);
  });

  it('never shows a negative remainder when a re-submission finished more than the latest attempt sent', () => {
    expect(progressOf(3, 'submitted', { succeeded: 5, failed: 0 })).toMatchObject({ unfinished: 0, completed: true });
  });

  it('reads as counts and a percentage', () => {
    expect(describeProgress(progressOf(1_000, 'submitted', { succeeded: 790, failed: 22 }))).toBe('812 of 1,000 requests finished (81.2%): 790 answered, 22 failed or rejected, 188 not finished');
  });
});
