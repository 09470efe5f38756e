import { describe, expect, it } from 'vitest';
import { shorten } from '../../src/report/charts.ts';
import { renderReport } from '../../src/report/render.ts';
import type { ReportData, ReportModel, ReportQuality } from '../../src/report/data.ts';

const t0 = Date.UTC(2026, 10, 23, 12, 0);

function model(name: string, over: Partial<ReportModel> = {}): ReportModel {
  return {
    model: name,
    requests: 10,
    estimatedTokens: 1_000,
    meanPredictedQuality: 0.7,
    predictedCostUsd: 0.01,
    outcomes: 5,
    actualTokens: 480,
    meanQuality: 0.6,
    costUsd: 0.004,
    ...over,
  };
}

/** A comparison without budget bounds: every model serves every request. */
function unbounded(rewarded: number, jobMeanReward: number, perModel: ReadonlyArray<{ model: string; expectedMeanReward: number | null }>): ReportQuality {
  return {
    rewarded,
    jobMeanReward,
    requests: rewarded,
    jobMeanOverRequests: jobMeanReward,
    perModel: perModel.map((m) => ({ ...m, servedRequests: null, meanOverRequests: m.expectedMeanReward })),
  };
}

function data(over: Partial<ReportData> = {}): ReportData {
  const models = [model('gpt-4'), model('mistral-7b', { requests: 30, costUsd: 0.001, meanQuality: 0.5 }), model('claude')];
  return {
    jobId: 'job-1',
    generatedAtMs: t0 + 3_600_000,
    job: { tenant: 'acme', source: '/data/job.jsonl', status: 'submitted', submittedAtMs: t0, linesRead: 51, linesProduced: 50, linesRejected: 1 },
    tenants: ['acme'],
    routed: 50,
    deferred: 2,
    rejected: 1,
    models,
    tokensPerMinute: models.flatMap((m, i) => [0, 1, 2].map((k) => ({ model: m.model, minuteStartMs: t0 + k * 60_000, tokens: 100 * (i + 1) + k }))),
    quality: unbounded(15, 0.57, models.map((m, i) => ({ model: m.model, expectedMeanReward: 0.4 + 0.1 * i }))),
    results: null,
    ...over,
  };
}

/** The <svg> of one chart, by its data-chart name. */
function chart(html: string, name: string): string {
  const m = new RegExp(`<svg class="chart" data-chart="${name}"[\\s\\S]*?</svg>`).exec(html);
  if (m === null) throw new Error(`no chart ${name}`);
  return m[0];
}

function marks(svg: string): string[] {
  return [...svg.matchAll(/class="mark" data-model="([^"]*)"/g)].map((m) => m[1] ?? '');
}

describe('renderReport', () => {
  it('draws every chart with exactly one mark per model', () => {
    const html = renderReport(data());
    for (const name of ['cost-quality', 'routing-mix', 'tokens', 'quality']) {
      expect(marks(chart(html, name)).sort(), name).toEqual(['claude', 'gpt-4', 'mistral-7b']);
    }
    expect(chart(html, 'quality')).toContain('class="mark-job"');
  });

  it('is self-contained: no script, no external reference, a CSP that forbids fetching', () => {
    const html = renderReport(data());
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)=/i);
    expect(html.match(/https?:\/\/[^"\s]*/g) ?? []).toEqual(['http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg']);
    expect(html).toContain(`content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; img-src data:"`);
  });

  it('escapes model names, tenant and job id in text and attributes', () => {
    const evil = `<script>alert("x")</script>&'`;
    const html = renderReport(
      data({
        jobId: `j<b>"1`,
        job: { tenant: `t<i>&"`, source: `/tmp/<x>.jsonl`, status: 'submitted', submittedAtMs: t0, linesRead: 1, linesProduced: 1, linesRejected: 0 },
        models: [model(evil)],
        tokensPerMinute: [{ model: evil, minuteStartMs: t0, tokens: 5 }],
        quality: unbounded(1, 1, [{ model: evil, expectedMeanReward: 0.5 }]),
      }),
    );
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('<i>');
    expect(html).not.toContain('<x>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(html).toContain('Tenant t&lt;i&gt;&amp;&quot;');
    expect(html).toContain('<h1>Job j&lt;b&gt;&quot;1</h1>');
    for (const name of ['cost-quality', 'routing-mix', 'tokens', 'quality']) expect(marks(chart(html, name))).toHaveLength(1);
  });

  it('renders a job with no decisions and no outcomes with notes instead of charts', () => {
    const html = renderReport(data({ routed: 0, deferred: 0, rejected: 0, models: [], tokensPerMinute: [], quality: null }));
    expect(html).not.toContain('<svg');
    expect(html).toContain('No request of this job has been routed yet.');
    expect(html).toContain('No routing decisions with estimated tokens yet.');
    expect(html).toContain('No outcomes yet');
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
  });

  it("shows the job's answers, errors and their cost when results are stored, and nothing when none are", () => {
    const html = renderReport(data({ results: { answered: 48, errors: 2, costUsd: 0.0123 } }));
    const tiles = [...html.matchAll(/<div class="v">([^<]*)<\/div><div class="k">([^<]*)<\/div>/g)].map((m) => [m[2], m[1]]);
    expect(tiles).toContainEqual(['answered', '48']);
    expect(tiles).toContainEqual(['answer errors', '2']);
    expect(html).toContain('switchyard results job-1 --out F');
    expect(renderReport(data({ results: { answered: 0, errors: 0, costUsd: null } }))).not.toContain('answer errors');
    expect(renderReport(data())).not.toContain('answer errors');
  });

  it('without outcomes plots predicted cost and quality, hollow, and says so', () => {
    const models = [model('a', { outcomes: 0, actualTokens: 0, meanQuality: null, costUsd: null }), model('b', { outcomes: 0, actualTokens: 0, meanQuality: null, costUsd: null })];
    const html = renderReport(data({ models, tokensPerMinute: [{ model: 'a', minuteStartMs: t0, tokens: 10 }], quality: null }));
    const scatter = chart(html, 'cost-quality');
    expect(marks(scatter)).toEqual(['a', 'b']);
    expect(scatter).toContain('fill="#ffffff"');
    expect(scatter).toContain('(predicted)');
    expect(html).toContain('Hollow points');
    expect(html).toContain('No outcomes yet');
    // A job decided within one minute is a single point: still a visible mark.
    expect(chart(html, 'tokens')).toMatch(/<circle cx="345"[^>]*r="5"/);
    expect([...chart(html, 'tokens').matchAll(/>(\d\d:\d\d)</g)].map((m) => m[1])).toEqual(['12:00']);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('places the scatter points by cost per request and quality', () => {
    const html = renderReport(data({ models: [model('cheap', { costUsd: 0.001, outcomes: 1, meanQuality: 0.2 }), model('dear', { costUsd: 0.01, outcomes: 1, meanQuality: 0.9 })] }));
    const circle = (name: string): { cx: number; cy: number } => {
      const m = new RegExp(`data-model="${name}"><title>[^<]*</title><circle cx="([\\d.]+)" cy="([\\d.]+)"`).exec(chart(html, 'cost-quality'));
      if (m === null) throw new Error(name);
      return { cx: Number(m[1]), cy: Number(m[2]) };
    };
    expect(circle('dear').cx).toBeGreaterThan(circle('cheap').cx);
    // SVG y grows downwards: higher quality is higher up.
    expect(circle('dear').cy).toBeLessThan(circle('cheap').cy);
  });

  it('shows the gap to the best single model, and models without outcomes as such', () => {
    const html = renderReport(
      data({ quality: unbounded(4, 0.75, [{ model: 'gpt-4', expectedMeanReward: 0.5 }, { model: 'claude', expectedMeanReward: 0.8 }, { model: 'mistral-7b', expectedMeanReward: null }]) }),
    );
    expect(html).toContain('<div class="v">-0.050</div><div class="k">vs best single model</div><div class="d">claude</div>');
    const q = chart(html, 'quality');
    expect(marks(q).sort()).toEqual(['claude', 'gpt-4']);
    expect(q).toContain('no outcomes yet');
  });

  it("holds each model to the job's budget: a model that serves fewer requests scores them only", () => {
    const quality: ReportQuality = {
      rewarded: 9,
      jobMeanReward: 0.8,
      requests: 10,
      jobMeanOverRequests: 0.72,
      perModel: [
        { model: 'claude', expectedMeanReward: 0.9, servedRequests: 6, meanOverRequests: 0.54 },
        { model: 'gpt-4', expectedMeanReward: 0.6, servedRequests: 10, meanOverRequests: 0.6 },
      ],
    };
    const html = renderReport(data({ quality }));
    // Per request served claude is better than routing, but its budget serves 6 of 10 requests.
    expect(html).toContain('<div class="v">+0.120</div><div class="k">vs best single model</div><div class="d">gpt-4</div>');
    const q = chart(html, 'quality');
    expect(q).toContain('0.540 (budget serves 6 of 10)');
    expect(q).toContain('0.720 (budget serves 9 of 10)');
  });

  it('widens the time buckets of a long job so a line has a bounded number of points', () => {
    const day = Array.from({ length: 24 * 60 }, (_, k) => ({ model: 'a', minuteStartMs: t0 + k * 60_000, tokens: 1 }));
    const html = renderReport(data({ models: [model('a')], tokensPerMinute: day }));
    const path = /<path d="([^"]*)"/.exec(chart(html, 'tokens'))?.[1] ?? '';
    const points = path.split(/[ML]/).filter((s) => s.trim() !== '').length;
    expect(points).toBeLessThanOrEqual(360);
    expect(points).toBeGreaterThan(100);
    expect(html).toContain('tokens per 4 minutes');
  });

  it('shortens long row labels keeping both ends, the full name stays in the tooltip', () => {
    expect(shorten('short', 28)).toBe('short');
    const long = 'together/meta-llama-3.1-405b-instruct-turbo';
    const cut = shorten(long, 28);
    expect([...cut]).toHaveLength(28);
    expect(cut.startsWith('together/')).toBe(true);
    expect(cut.endsWith('instruct-turbo')).toBe(true);
    const html = renderReport(data({ models: [model(long)] }));
    expect(chart(html, 'routing-mix')).toContain(`>${cut}</text>`);
    expect(chart(html, 'routing-mix')).toContain(`<title>${long}: 10 (100.0%)</title>`);
  });
});
