/**
 * What a `dataset` setting names, with LLaMA-Factory's rule: a key of `<dataset_dir>/dataset_info.json` when
 * there is one with that key, otherwise a path to a file.
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { UserError } from '../errors';
import { checkDatasetFileName } from './dataset-file';
import { readDatasetRegistry, registryPath, unknownDataset } from './dataset-info';

export type DatasetSource = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'registry'; readonly dir: string; readonly name: string };

/**
 * `dataset` is a key of `<datasetDir>/dataset_info.json` when datasetDir is given and the key exists; otherwise a
 * path to a .json/.jsonl file (absolute, or relative to datasetDir when given, else to the working directory).
 * Paths in the result are absolute, so the source means the same thing wherever it is used later.
 */
export function resolveDatasetSource(dataset: string, datasetDir?: string): DatasetSource {
  if (!dataset.trim()) throw new UserError('no dataset given', 'Set "dataset" to a name in dataset_info.json or the path of a .json or .jsonl file.');
  const dir = datasetDir ? resolve(datasetDir) : undefined;
  const registry = dir ? readDatasetRegistry(dir) : null;
  if (dir && registry && Object.hasOwn(registry, dataset)) return { kind: 'registry', dir, name: dataset };

  const path = isAbsolute(dataset) ? dataset : resolve(dir ?? process.cwd(), dataset);
  const info = statSync(path, { throwIfNoEntry: false });
  if (info?.isFile()) {
    checkDatasetFileName(path);
    return { kind: 'file', path };
  }
  // With a registry the user most likely meant a name in it, so say which names there are.
  if (dir && registry) throw unknownDataset(dataset, registryPath(dir), Object.keys(registry));
  if (info) throw new UserError(`${path} is not a file`, 'Give the path of a .json or .jsonl dataset file.');
  throw new UserError(
    `dataset file ${path} does not exist`,
    dir ? `${dir} has no dataset_info.json either, so "${dataset}" can only be a file path.` : 'Give the path of a .json or .jsonl file, or set dataset_dir to a folder with a dataset_info.json.',
  );
}
