/**
 * The Ollama Modelfile written beside a GGUF (`ollama create NAME -f Modelfile`): FROM the file, a TEMPLATE
 * equivalent to the model's chat template (Ollama only recognises a few stock templates on its own), the
 * end-of-turn tokens as stop sequences, and the sampling defaults of generation_config.json.
 */
import type { GenerationDefaults } from './generation-defaults';
import { ollamaTemplate } from './ollama-template';

export interface ModelfileInput {
  /** The GGUF's file name; the Modelfile sits in the same folder. */
  readonly ggufFileName: string;
  readonly chatTemplate: string | null;
  /** tokenizer_config.json's bos_token and eos_token, which chat templates refer to. */
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  /** Texts of the tokens that end a reply (generation_config.json's eos_token_id). */
  readonly stop: readonly string[];
  readonly generation: GenerationDefaults;
}

export function modelfileText(m: ModelfileInput): string {
  const lines = [`FROM ./${m.ggufFileName}`];
  const template = m.chatTemplate === null ? null : ollamaTemplate(m.chatTemplate, { bos: m.bosToken, eos: m.eosToken });
  if (template !== null) lines.push(`TEMPLATE """${template}"""`);
  for (const s of new Set(m.stop)) lines.push(`PARAMETER stop ${quoted(s)}`);
  const g = m.generation;
  // transformers ignores temperature/top_p/top_k unless do_sample is set; greedy is temperature 0 in Ollama.
  if (g.doSample === false) lines.push('PARAMETER temperature 0');
  else {
    if (g.temperature !== undefined) lines.push(`PARAMETER temperature ${g.temperature}`);
    if (g.topP !== undefined) lines.push(`PARAMETER top_p ${g.topP}`);
    if (g.topK !== undefined) lines.push(`PARAMETER top_k ${g.topK}`);
    if (g.minP !== undefined) lines.push(`PARAMETER min_p ${g.minP}`);
  }
  if (g.repetitionPenalty !== undefined) lines.push(`PARAMETER repeat_penalty ${g.repetitionPenalty}`);
  return lines.join('\n') + '\n';
}

const quoted = (s: string) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
