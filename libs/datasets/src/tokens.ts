// Token counting lives with the embedder (libs/embedding); re-exported for the loaders here.
export { cl100kTokenCounter, charEstimateTokenCounter, tokenCounterFor, type TokenCounter } from '@switchyard/embedding';
