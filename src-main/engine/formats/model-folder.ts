/** Whether a path is a Hugging Face model folder, and when not, why in the user's terms. Plain fs: the host uses it too. */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { UserError } from '../errors';

export const CONFIG_FILE = 'config.json';

/** Throws a UserError saying what `dir` is instead of a model folder (missing, a Hub id, a file, no config.json). */
export function checkModelFolder(dir: string, key?: string): void {
  const where = key ? `${key}: ` : '';
  if (!existsSync(dir)) {
    // `Qwen/Qwen2.5-0.5B-Instruct`: a model's name on the Hugging Face Hub, which is not downloaded from here.
    if (!isAbsolute(dir) && /^[\w.-]+\/[\w.-]+$/.test(dir)) {
      throw new UserError(
        `${where}${dir} looks like a Hugging Face Hub model id, but TuneBoard trains from a model folder on this computer`,
        `Download it first, e.g. \`huggingface-cli download ${dir} --local-dir models/${dir.split('/')[1]}\` (or git clone its page), then choose that folder.`,
      );
    }
    throw new UserError(`${where}${dir} does not exist`, 'Check the path, or choose the folder with the file browser.');
  }
  if (!statSync(dir).isDirectory()) throw new UserError(`${where}${dir} is a file, not a model folder`, 'Choose the folder that holds config.json, the *.safetensors weights and tokenizer.json.');
  if (!existsSync(join(dir, CONFIG_FILE))) {
    throw new UserError(`${where}${dir} is not a Hugging Face model folder: it has no config.json`, 'Choose the folder that holds config.json, the *.safetensors weights and tokenizer.json.');
  }
}
