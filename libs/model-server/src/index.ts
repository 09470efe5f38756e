export { createAnswerBook, generatedAnswer } from './answers.ts';
export type { Answer, AnswerBook, AnswerBookOptions } from './answers.ts';
export { decideFault, draw, permanentFault } from './faults.ts';
export type { AttemptFault, BatchFaults, Fault, FaultOptions } from './faults.ts';
export { startModelServer } from './server.ts';
export type { ModelServer, ModelServerOptions, ModelServerStats } from './server.ts';
