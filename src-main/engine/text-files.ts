/**
 * Reading the text files a user hands TuneBoard (configs, datasets, registries, model metadata): every failure is
 * a UserError that names the file and, for JSON, the line and column. Text is UTF-8 (with or without a byte-order
 * mark) or UTF-16 with its byte-order mark; anything else is refused with the offset of the first byte that is not
 * text, rather than loaded with replacement characters.
 */
import { readFile } from 'node:fs/promises';
import { parseConfigText } from '../protocol/train-config';
import { UserError, fileSystemError } from './errors';
import { jsonErrorPosition } from './json-error-position';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The file's text, its encoding detected. `key`: the config key or flag the path came from, named in errors. */
export async function readTextFile(path: string, key?: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw fileSystemError(err, key, path) ?? err;
  }
  return decodeText(bytes, path);
}

export function decodeText(bytes: Uint8Array, path: string): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  // UTF-16 without a byte-order mark is mostly valid UTF-8 interleaved with NULs: say what it is.
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new UserError(`${path} holds a NUL character at byte ${nul}: it is not UTF-8 text (UTF-16 without a byte-order mark?)`, 'Save the file as UTF-8.');
  }
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return utf8.decode(body);
  } catch {
    const offset = firstInvalidUtf8(body) + (body === bytes ? 0 : 3);
    throw new UserError(
      `${path} is not UTF-8 text: byte ${offset} (0x${bytes[offset]!.toString(16).padStart(2, '0')}) cannot start or continue a character`,
      'Save the file as UTF-8 (or UTF-16 with a byte-order mark), for example with your editor\'s "Save with encoding".',
    );
  }
}

/**
 * The offset of the first sequence that breaks UTF-8 (RFC 3629: no overlong forms, surrogates or values past
 * U+10FFFF): a byte that cannot start a character, or the start of one that does not continue as it must.
 */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const length = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const [lo, hi] = c === 0xe0 ? [0xa0, 0xbf] : c === 0xed ? [0x80, 0x9f] : c === 0xf0 ? [0x90, 0xbf] : c === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    for (let j = 1; j < length; j++) {
      const d = b[i + j];
      if (d === undefined || d < (j === 1 ? lo : 0x80) || d > (j === 1 ? hi : 0xbf)) return i;
    }
    i += length;
  }
  return b.length;
}

/** JSON text parsed, or a UserError naming the file, line and column. */
export function parseJsonText(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const { line, column, reason } = jsonErrorPosition(err as Error, text);
    throw new UserError(`${path} is not valid JSON: line ${line}, column ${column}: ${reason}`, 'Fix the file at that place (a missing comma or quote is the usual cause), or download it again.');
  }
}

export async function readJsonFile(path: string, key?: string): Promise<unknown> {
  return parseJsonText(await readTextFile(path, key), path);
}

/** A YAML file holding a mapping of keys to values (a training config). */
export async function readYamlMapping(path: string, key?: string): Promise<Record<string, unknown>> {
  return parseYamlMapping(await readTextFile(path, key), path);
}

export function parseYamlMapping(text: string, source: string): Record<string, unknown> {
  const parsed = parseConfigText(text);
  if ('error' in parsed) throw new UserError(`${source}: ${parsed.error}`);
  return parsed.config;
}
