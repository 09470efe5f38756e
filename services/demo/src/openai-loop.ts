// The demo's model calls over HTTP: the local OpenAI-compatible server (answering with the data
// set's recorded responses, or generated ones) and executor-openai pointed at it, so the run
// goes through the same executor a deployment points at OpenAI, vLLM or Ollama.
import type { Logger } from 'pino';
import type { SwitchyardConfig } from '@switchyard/config';
import { loadDataset } from '@switchyard/datasets';
import { createAnswerBook, startModelServer } from '@switchyard/model-server';
import { compileExecutorOpenaiConfig, parseExecutorOpenaiConfig, startExecutorOpenai } from './services.ts';

export interface OpenaiLoop {
  readonly baseUrl: string;
  stop(): Promise<void>;
}

export async function startOpenaiLoop(shared: SwitchyardConfig, datasetPath: string | undefined, logger: Logger): Promise<OpenaiLoop> {
  const data = datasetPath === undefined ? null : await loadDataset(datasetPath, { countTokens: false, keepResponses: true });
  const server = await startModelServer({ book: createAnswerBook(data) });
  try {
    const section = parseExecutorOpenaiConfig({ models: Object.fromEntries(shared.models.map((m) => [m.name, { baseUrl: server.baseUrl, concurrency: 16 }])) });
    const executor = await startExecutorOpenai(compileExecutorOpenaiConfig(shared, section, { env: {}, readFile: () => '' }), { logger });
    return {
      baseUrl: server.baseUrl,
      stop: async () => {
        await executor.stop();
        await server.close();
      },
    };
  } catch (err) {
    await server.close();
    throw err;
  }
}
