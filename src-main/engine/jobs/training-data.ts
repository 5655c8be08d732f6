/** The dataset of a run or an evaluation: loaded, tokenized with the model's chat template, split. */
import { listBadRows, loadDataset, resolveDatasetSource, splitValidation, supervisedTargets, tokenizeConversation, type LoadedDataset, type TokenizedExample } from '../data';
import { UserError } from '../errors';
import type { TrainConfig } from '../../protocol/train-config';
import type { LoadedModel } from '../model/load-model';

export interface PreparedData {
  readonly dataset: LoadedDataset;
  readonly train: TokenizedExample[];
  readonly val: TokenizedExample[];
  readonly warnings: string[];
}

/** A run's data exactly as its config prepares it: training and evaluating it see the same examples and split. */
export function prepareRunData(loaded: Pick<LoadedModel, 'tokenizer'>, config: TrainConfig): Promise<PreparedData> {
  return prepareData(loaded, {
    dataset: config.dataset,
    datasetDir: config.dataset_dir,
    cutoffLen: config.cutoff_len,
    maxSamples: config.max_samples,
    valSize: config.val_size,
    seed: config.seed,
    // Absent in the configs of runs made before the key existed: they kept every example.
    dropUntrained: config.drop_untrained_examples ?? false,
  });
}

export async function prepareData(
  loaded: Pick<LoadedModel, 'tokenizer'>,
  options: {
    dataset: string;
    datasetDir?: string | null;
    cutoffLen: number;
    maxSamples?: number | null;
    valSize: number;
    seed: number;
    /** Drop the examples with no answer token left within the cutoff (they cost time and teach nothing). */
    dropUntrained: boolean;
  },
): Promise<PreparedData> {
  const dataset = await loadDataset(resolveDatasetSource(options.dataset, options.datasetDir ?? undefined));
  const warnings: string[] = [];
  if (dataset.badRows.length) warnings.push([`${dataset.file}: skipped ${dataset.badRows.length} bad row(s):`, ...listBadRows(dataset.badRows)].join('\n'));
  const conversations = options.maxSamples ? dataset.conversations.slice(0, options.maxSamples) : dataset.conversations;
  const tokenized = conversations.map((c) => tokenizeConversation(loaded.tokenizer, c, options.cutoffLen));
  const examples = options.dropUntrained ? withAnswers(tokenized, options.cutoffLen, warnings) : tokenized;
  const truncated = examples.filter((e) => e.fullLength > options.cutoffLen).length;
  if (truncated) warnings.push(`${truncated} of ${examples.length} examples are longer than cutoff_len (${options.cutoffLen}) and were truncated`);
  const textCut = examples.filter((e) => e.textCut).length;
  if (textCut) warnings.push(`${textCut} of them had a message far longer than cutoff_len allows; its text was cut before tokenizing (rows: ${examples.filter((e) => e.textCut).slice(0, 5).map((e) => e.row).join(', ')}${textCut > 5 ? ', ...' : ''})`);
  const { train, val } = splitValidation(examples, options.valSize, options.seed);
  return { dataset, train, val, warnings };
}

/** The examples that keep an answer token within the cutoff; the others are counted in a warning, or refused when none is left. */
function withAnswers(examples: readonly TokenizedExample[], cutoffLen: number, warnings: string[]): TokenizedExample[] {
  const kept = examples.filter((e) => supervisedTargets(e.labels) > 0);
  if (kept.length === examples.length) return kept;
  // The cutoff above every example's prompt keeps an answer token in each.
  const needed = Math.max(...examples.map((e) => e.promptLength)) + 1;
  if (kept.length === 0) {
    throw new UserError(`cutoff_len ${cutoffLen} leaves no answer token in any example: at least ${needed} is needed here`, `Raise cutoff_len to ${needed} or more: the prompts before the answers are up to ${needed - 1} tokens long.`);
  }
  const dropped = examples.filter((e) => supervisedTargets(e.labels) === 0);
  const rows = dropped.slice(0, 5).map((e) => e.row).join(', ') + (dropped.length > 5 ? ', ...' : '');
  warnings.push(`${dropped.length} of ${examples.length} examples have no answer token within cutoff_len ${cutoffLen} and were dropped (rows ${rows}); cutoff_len ${needed} keeps an answer in every example`);
  return kept;
}
