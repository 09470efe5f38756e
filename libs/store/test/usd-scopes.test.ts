import { describe, expect, it } from 'vitest';
import { usdScopesFor } from '../src/index.ts';

describe('usdScopesFor', () => {
  const at = Date.parse('2026-12-04T23:00:00Z');
  const caps = { tenantUsdPerDay: { acme: 5, '*': 1 }, jobUsdPerDay: { nightly: 2 } };

  it("counts a request in its job's budget and its tenant's and job's day caps", () => {
    expect(usdScopesFor({ jobId: 'nightly', tenant: 'acme' }, caps, 10, at)).toEqual([
      { scope: { scope: 'job:nightly', limitUsd: 10 }, windowed: false },
      { scope: { scope: 'tenant-day:acme:2026-12-04', limitUsd: 5 }, windowed: true },
      { scope: { scope: 'job-day:nightly:2026-12-04', limitUsd: 2 }, windowed: true },
    ]);
  });

  it("falls back to the '*' cap, and has no scope without a budget", () => {
    expect(usdScopesFor({ jobId: 'j', tenant: 'other' }, caps, null, at)).toEqual([{ scope: { scope: 'tenant-day:other:2026-12-04', limitUsd: 1 }, windowed: true }]);
    expect(usdScopesFor({ jobId: 'j', tenant: 't' }, { tenantUsdPerDay: {}, jobUsdPerDay: {} }, null, at)).toEqual([]);
  });
});
