import { describe, expect, it } from 'vitest';
import { sampleRoutedRequest } from '@switchyard/contracts';
import { generateSyntheticDataset } from '@switchyard/datasets';
import { columnFor, indexDataset, parseExecutorSimConfig, sampleLatencyMs, simulateRequest, SIMULATED_FAILURE, UNKNOWN_DATASET_ID } from '../src/index.ts';
import type { SimulationSettings } from '../src/index.ts';

const data = generateSyntheticDataset({ nHistory: 5, nTest: 50, models: 3, seed: 4 });
const truth = { column: 1, byId: indexDataset(data) };
const settings: SimulationSettings = { latency: { kind: 'uniform', minMs: 10, maxMs: 20 }, errorRate: 0, seed: 9, datasetIdKey: 'datasetId' };
const request = (i: number, extra: Parameters<typeof sampleRoutedRequest>[0] = {}) =>
  sampleRoutedRequest({ requestId: `r${i}`, maxOutputTokens: 100_000, metadata: { datasetId: data.test[i]!.id }, ...extra });

describe('simulateRequest', () => {
  it("replays the dataset's true quality, tokens and cost of the served model", () => {
    for (let i = 0; i < 20; i++) {
      const q = data.test[i]!;
      const r = simulateRequest('m', request(i), truth, settings);
      expect(r.error).toBeNull();
      expect(r.quality).toBe(Number.isNaN(q.quality[1]!) ? 0 : q.quality[1]);
      expect(r.promptTokens + r.completionTokens).toBe(q.tokens[1]);
      expect(r.costUsd).toBe(q.cost[1]);
      expect(r.latencyMs).toBeGreaterThanOrEqual(10);
      expect(r.latencyMs).toBeLessThanOrEqual(20);
    }
  });

  it('gives the same request the same draw, and other requests other draws', () => {
    const a = simulateRequest('m', request(0), truth, settings);
    expect(simulateRequest('m', request(0), truth, settings)).toEqual(a);
    const latencies = new Set(Array.from({ length: 20 }, (_, i) => simulateRequest('m', request(i), truth, settings).latencyMs));
    expect(latencies.size).toBeGreaterThan(3);
  });

  it('fails about errorRate of the requests', () => {
    const failed = (rate: number) => Array.from({ length: 50 }, (_, i) => simulateRequest('m', request(i), truth, { ...settings, errorRate: rate })).filter((r) => r.error === SIMULATED_FAILURE).length;
    expect(failed(0)).toBe(0);
    expect(failed(1)).toBe(50);
    const some = failed(0.3);
    expect(some).toBeGreaterThan(5);
    expect(some).toBeLessThan(30);
  });

  it('stops at maxOutputTokens and scales the cost to the tokens generated', () => {
    const q = data.test[0]!;
    const full = simulateRequest('m', request(0), truth, settings);
    const capped = simulateRequest('m', request(0, { maxOutputTokens: 1 }), truth, settings);
    expect(capped.completionTokens).toBe(1);
    expect(capped.costUsd).toBeCloseTo((q.cost[1]! * (full.promptTokens + 1)) / q.tokens[1]!, 12);
  });

  it('reports an error for a request whose dataset id is unknown or absent', () => {
    const r = simulateRequest('m', sampleRoutedRequest({ metadata: { datasetId: 'nope' } }), truth, settings);
    expect(r.error).toMatch(UNKNOWN_DATASET_ID);
    expect(simulateRequest('m', sampleRoutedRequest({ metadata: {} }), truth, settings).error).toMatch(UNKNOWN_DATASET_ID);
  });
});

describe('sampleLatencyMs', () => {
  it('draws around the median for lognormal latencies', () => {
    let s = 1;
    const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    const draws = Array.from({ length: 2_000 }, () => sampleLatencyMs({ kind: 'lognormal', medianMs: 100, sigma: 0.5 }, rand)).sort((a, b) => a - b);
    expect(draws[1_000]).toBeGreaterThan(85);
    expect(draws[1_000]).toBeLessThan(115);
    expect(sampleLatencyMs({ kind: 'fixed', ms: 7 }, rand)).toBe(7);
  });
});

describe('columnFor', () => {
  it('maps by configured column, by name, else by position for synthetic data', () => {
    expect(columnFor('x', 2, data, { x: data.models[0]! }, true)).toBe(0);
    expect(columnFor(data.models[1]!, 0, data, {}, false)).toBe(1);
    expect(columnFor('x', 2, data, {}, true)).toBe(2);
    expect(columnFor('x', 2, data, {}, false)).toBeNull();
  });
});

describe('parseExecutorSimConfig', () => {
  it('defaults to a generated dataset and no latency, and names bad paths', () => {
    const c = parseExecutorSimConfig({});
    expect(c.dataset.source).toBe('synthetic');
    expect(c.latency).toEqual({ kind: 'fixed', ms: 0 });
    expect(() => parseExecutorSimConfig({ errorRate: 2 })).toThrow(/executorSim\.errorRate/);
    expect(() => parseExecutorSimConfig({ latency: { kind: 'uniform', minMs: 5, maxMs: 1 } })).toThrow(/latency\.maxMs/);
  });
});
