import { initBackend } from '../../engine/backend/backend';
import { generateText, type PromptInput } from '../../engine/jobs/generate-text';
import { LoraAdapter } from '../../engine/lora/lora-adapter';
import { loadModel } from '../../engine/model/load-model';
import { backendFlag, backendOption, jsonOption, numberFlag, parseCommandLine, required, samplingFrom, samplingOptions, UsageError } from '../args';
import { printResult, reportBackend } from '../output';
import type { Command } from './command';

const usage = `usage: tuneboard generate --model DIR [--adapter DIR] (--prompt TEXT | --message TEXT | --prompt-ids 1,2,3)
       [--max-new-tokens N] [--greedy | --temperature T --top-p P --seed S] [--ignore-eos]
       [--backend auto|tensorflow|webgpu|wasm|cpu] [--json]
  --message wraps TEXT as one user turn with the model's chat template and the generation prompt.`;

export const generate: Command = {
  summary: 'continue a prompt or answer a chat message with a model',
  usage,
  async run(argv) {
    const { values } = parseCommandLine(
      argv,
      {
        model: { type: 'string' },
        adapter: { type: 'string' },
        prompt: { type: 'string' },
        message: { type: 'string' },
        'prompt-ids': { type: 'string' },
        'max-new-tokens': { type: 'string' },
        ...samplingOptions,
        'ignore-eos': { type: 'boolean', default: false },
        ...backendOption,
        ...jsonOption,
      },
      usage,
    );
    const modelDir = required(values.model, '--model', usage);
    const prompt = promptFrom(values);
    const sampling = samplingFrom(values, usage);
    const maxNewTokens = numberFlag(values['max-new-tokens'], '--max-new-tokens', 128, { min: 1, max: 100_000, integer: true });
    const backend = await initBackend(backendFlag(values.backend));
    if (!values.json) reportBackend(backend);
    const loaded = await loadModel(modelDir);
    const adapter = values.adapter ? await LoraAdapter.load(loaded.model, values.adapter) : null;
    try {
      const streaming = !values.json && process.stdout.isTTY;
      let shown = '';
      const result = await generateText(loaded, prompt, {
        maxNewTokens,
        sampling,
        ignoreEos: values['ignore-eos'],
        onToken: streaming
          ? (_id, text) => {
              process.stdout.write(text.slice(shown.length));
              shown = text;
            }
          : undefined,
      });
      if (streaming) process.stdout.write(result.text.slice(shown.length) + '\n');
      else printResult(values.json, { backend: backend.name, device: backend.device, ids: result.ids, text: result.text }, () => result.text);
      if (!values.json) process.stderr.write(`${result.ids.length} tokens · ${result.tokensPerSecond.toFixed(1)} tokens/s\n`);
    } finally {
      adapter?.detach();
      loaded.dispose();
    }
  },
};

function promptFrom(v: { prompt?: string; message?: string; 'prompt-ids'?: string }): PromptInput {
  const given = [v.prompt, v.message, v['prompt-ids']].filter((x) => x !== undefined);
  if (given.length !== 1) throw new UsageError('give exactly one of --prompt, --message or --prompt-ids', usage);
  if (v.message !== undefined) return { kind: 'chat', messages: [{ role: 'user', content: v.message }] };
  if (v.prompt !== undefined) return { kind: 'text', text: v.prompt };
  const ids = v['prompt-ids']!.split(',').map((s) => s.trim());
  if (ids.some((s) => !/^\d+$/.test(s))) throw new UsageError(`--prompt-ids must be comma-separated token ids, got "${v['prompt-ids']}"`);
  return { kind: 'ids', ids: ids.map(Number) };
}
