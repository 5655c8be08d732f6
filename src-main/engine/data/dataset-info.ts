/**
 * LLaMA-Factory's dataset registry, `<dataset_dir>/dataset_info.json`: names mapped to a local file and how its
 * rows are laid out, with LLaMA-Factory's defaults, so the same `dataset_dir` works in both tools.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { UserError, validationError } from '../errors';
import { ALPACA_LAYOUT, SHAREGPT_LAYOUT, isRecord, type RowLayout } from './conversation';
import { decodeText, parseJsonText } from '../text-files';

export const REGISTRY_FILE = 'dataset_info.json';

export function registryPath(dir: string): string {
  return join(dir, REGISTRY_FILE);
}

/** The registry's entries by name, or null when the folder has no registry. Read synchronously: it is small. */
export function readDatasetRegistry(dir: string): Record<string, unknown> | null {
  const path = registryPath(dir);
  if (!existsSync(path)) return null;
  const json = parseJsonText(decodeText(readFileSync(path), path), path);
  if (!isRecord(json)) throw new UserError(`${path} must be a JSON object mapping dataset names to their descriptions`);
  return json;
}

const name = z.string().min(1);
const entrySchema = z.object({
  file_name: name.optional(),
  hf_hub_url: z.string().optional(),
  ms_hub_url: z.string().optional(),
  om_hub_url: z.string().optional(),
  script_url: z.string().optional(),
  formatting: z.enum(['alpaca', 'sharegpt']).optional(),
  ranking: z.boolean().optional(),
  columns: z
    .object({
      prompt: name,
      query: name,
      response: name,
      system: name,
      history: name,
      messages: name,
      images: name,
      videos: name,
      audios: name,
      chosen: name,
      rejected: name,
      kto_tag: name,
    })
    .partial()
    .optional(),
  tags: z
    .object({
      role_tag: name,
      content_tag: name,
      user_tag: name,
      assistant_tag: name,
      observation_tag: name,
      function_tag: name,
      system_tag: name,
    })
    .partial()
    .optional(),
});

export interface RegistryDataset {
  readonly name: string;
  /** Absolute path of the data file. */
  readonly file: string;
  readonly layout: RowLayout;
}

/** The entry `name` of `<dir>/dataset_info.json`, resolved to its file and row layout. */
export function registryDataset(dir: string, name: string): RegistryDataset {
  const registry = readDatasetRegistry(dir);
  const path = registryPath(dir);
  if (!registry) throw new UserError(`${dir} has no ${REGISTRY_FILE}`);
  if (!Object.hasOwn(registry, name)) throw unknownDataset(name, path, Object.keys(registry));
  const parsed = entrySchema.safeParse(registry[name]);
  if (!parsed.success) throw validationError(`${path}: "${name}"`, parsed.error.issues);
  const entry = parsed.data;

  if (!entry.file_name) {
    const remote = entry.hf_hub_url ? 'hf_hub_url' : entry.ms_hub_url ? 'ms_hub_url' : entry.om_hub_url ? 'om_hub_url' : entry.script_url ? 'script_url' : null;
    throw new UserError(
      remote ? `"${name}" in ${path} is a remote dataset (${remote}); TuneBoard reads local files only` : `"${name}" in ${path} has no "file_name"`,
      `Download the data into ${dir} as a .json or .jsonl file and give its name as "file_name".`,
    );
  }
  const columns = entry.columns ?? {};
  // Preference and multimodal data need training modes TuneBoard does not have; refusing beats silently dropping columns.
  if (entry.ranking || columns.chosen || columns.rejected || columns.kto_tag) {
    throw new UserError(`"${name}" in ${path} is preference data (ranking / chosen / rejected / kto_tag); TuneBoard does supervised fine-tuning only`);
  }
  const media = (['images', 'videos', 'audios'] as const).filter((c) => columns[c]);
  if (media.length) throw new UserError(`"${name}" in ${path} has ${media.join(', ')} columns; TuneBoard trains text-only models`);

  const file = resolve(dir, entry.file_name);
  if ((entry.formatting ?? 'alpaca') === 'alpaca') {
    const d = ALPACA_LAYOUT;
    return {
      name,
      file,
      layout: { kind: 'alpaca', prompt: columns.prompt ?? d.prompt, query: columns.query ?? d.query, response: columns.response ?? d.response, system: columns.system ?? d.system, history: columns.history ?? d.history },
    };
  }
  const d = SHAREGPT_LAYOUT;
  const tags = entry.tags ?? {};
  return {
    name,
    file,
    layout: {
      kind: 'chat',
      messages: columns.messages ?? d.messages,
      system: columns.system ?? d.system,
      roleTag: tags.role_tag ?? d.roleTag,
      contentTag: tags.content_tag ?? d.contentTag,
      userTag: tags.user_tag ?? d.userTag,
      assistantTag: tags.assistant_tag ?? d.assistantTag,
      systemTag: tags.system_tag ?? d.systemTag,
      // OpenAI-style role names for tool turns too, so a messages file described through tags refuses them by name.
      toolTags: [tags.observation_tag ?? 'observation', tags.function_tag ?? 'function_call', 'tool', 'function'],
    },
  };
}

/** Lists the names there are (the first 40 of a long registry such as LLaMA-Factory's own). */
export function unknownDataset(name: string, path: string, keys: readonly string[]): UserError {
  const shown = keys.slice(0, 40).join(', ');
  const more = keys.length > 40 ? ` and ${keys.length - 40} more` : '';
  const several = name.includes(',') ? ' (several datasets separated by commas are not supported yet)' : '';
  const listing = keys.length ? `; its datasets are: ${shown}${more}` : '; it describes no datasets';
  return new UserError(`dataset "${name}" is not in ${path}${several}${listing}`, `Give one of the names in ${REGISTRY_FILE}, or the path of a .json or .jsonl file.`);
}
