/** The dataset of a run or an evaluation: loaded, tokenized with the model's chat template, split. */
import { listBadRows, loadDataset, resolveDatasetSource, splitValidation, tokenizeConversation, type LoadedDataset, type TokenizedExample } from '../data';
import type { LoadedModel } from '../model/load-model';

export interface PreparedData {
  readonly dataset: LoadedDataset;
  readonly train: TokenizedExample[];
  readonly val: TokenizedExample[];
  readonly warnings: string[];
}

export async function prepareData(
  loaded: LoadedModel,
  options: { dataset: string; datasetDir?: string | null; cutoffLen: number; maxSamples?: number | null; valSize: number; seed: number },
): Promise<PreparedData> {
  const dataset = await loadDataset(resolveDatasetSource(options.dataset, options.datasetDir ?? undefined));
  const warnings: string[] = [];
  if (dataset.badRows.length) warnings.push([`${dataset.file}: skipped ${dataset.badRows.length} bad row(s):`, ...listBadRows(dataset.badRows)].join('\n'));
  const conversations = options.maxSamples ? dataset.conversations.slice(0, options.maxSamples) : dataset.conversations;
  const examples = conversations.map((c) => tokenizeConversation(loaded.tokenizer, c, options.cutoffLen));
  const truncated = examples.filter((e) => e.fullLength > options.cutoffLen).length;
  if (truncated) warnings.push(`${truncated} of ${examples.length} examples are longer than cutoff_len (${options.cutoffLen}) and were truncated`);
  const textCut = examples.filter((e) => e.textCut).length;
  if (textCut) warnings.push(`${textCut} of them had a message far longer than cutoff_len allows; its text was cut before tokenizing (rows: ${examples.filter((e) => e.textCut).slice(0, 5).map((e) => e.row).join(', ')}${textCut > 5 ? ', ...' : ''})`);
  const { train, val } = splitValidation(examples, options.valSize, options.seed);
  return { dataset, train, val, warnings };
}
