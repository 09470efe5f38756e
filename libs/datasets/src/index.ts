export type { Dataset, DatasetQuery, LoadOptions } from './types.ts';
export { DatasetError, type DatasetErrorCode } from './errors.ts';
export { loadDataset, detectFormat, defaultDatasetPath, type DetectedFormat } from './load.ts';
export { parsePythonList, parsePythonListString } from './python-literal.ts';
export { writeJsonlDataset, jsonlLineSchema } from './jsonl.ts';
export { generateSyntheticDataset, type SyntheticDatasetOptions } from './synthetic.ts';
export { cl100kTokenCounter, charEstimateTokenCounter, type TokenCounter } from './tokens.ts';
export { mulberry32, gaussian } from './random.ts';
export { seededTestMask } from './split.ts';
