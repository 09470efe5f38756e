// The demo's model calls over HTTP: the local OpenAI-compatible server (answering with the data
// set's recorded responses, or generated ones) and executor-openai pointed at it, so the run
// goes through the same executor a deployment points at OpenAI, vLLM or Ollama.
import type { Logger } from 'pino';
import type { SwitchyardConfig } from '@switchyard/config';
import { CliError } from '@switchyard/cli';
import { loadDataset } from '@switchyard/datasets';
import { createAnswerBook, startModelServer } from '@switchyard/model-server';
import { compileExecutorOpenaiConfig, parseExecutorOpenaiConfig, startExecutorOpenai } from './services.ts';

export interface OpenaiLoop {
  readonly baseUrl: string;
  stop(): Promise<void>;
}

export async function startOpenaiLoop(shared: SwitchyardConfig, datasetPath: string | undefined, logger: Logger, opts: { readonly failModel?: string | undefined } = {}): Promise<OpenaiLoop> {
  const failModel = opts.failModel;
  if (failModel !== undefined && !shared.models.some((m) => m.name === failModel)) {
    throw new CliError('invalid_arguments', `--fail-model ${failModel} is not one of the models: ${shared.models.map((m) => m.name).join(', ')}`);
  }
  const data = datasetPath === undefined ? null : await loadDataset(datasetPath, { countTokens: false, keepResponses: true });
  // A model failing permanently: every request it gets is handed back and routed on.
  const server = await startModelServer({ book: createAnswerBook(data), ...(failModel !== undefined ? { faults: { permanent: [{ model: failModel }] } } : {}) });
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
