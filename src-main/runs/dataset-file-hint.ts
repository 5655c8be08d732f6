/**
 * Whether a .json / .jsonl file looks like a dataset the engine can read, judged from its first bytes only (the
 * file browser asks this of every file in a folder, so it must stay fast for big folders and big files): a JSON
 * array whose first element is an example, or JSON lines whose first line is one. "An example" is a row whose
 * format the engine recognises (alpaca, ShareGPT or OpenAI messages). package.json, tsconfig.json, an array of
 * numbers are not datasets.
 */
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { detectLayout } from '../engine/data/conversation';

/** Enough for the first example of any dataset we know; a first example longer than this is taken on trust. */
const HEAD_BYTES = 64 * 1024;
/** Files read at once: a folder of thousands of .json files must not run out of file handles. */
const MAX_OPEN = 32;
let opened = 0;
const waiting: Array<() => void> = [];

export async function looksLikeDatasetFile(path: string): Promise<boolean> {
  const ext = extname(path).toLowerCase();
  if (ext !== '.json' && ext !== '.jsonl') return false;
  const head = await oneOfFew(() => readHead(path));
  if (head === null) return false;
  const text = head.text.replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('[')) return firstArrayElementIsExample(text, head.whole);
  if (text.startsWith('{')) return firstLineIsExample(text, head.whole, ext === '.jsonl');
  return false;
}

async function readHead(path: string): Promise<{ text: string; whole: boolean } | null> {
  let file;
  try {
    file = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await file.read(buffer, 0, HEAD_BYTES, 0);
    const bytes = buffer.subarray(0, bytesRead);
    const encoding = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : 'utf-8';
    const body = encoding === 'utf-8' ? bytes : bytes.subarray(2);
    // Not fatal: the head may end inside a character.
    return { text: new TextDecoder(encoding).decode(body), whole: bytesRead < HEAD_BYTES };
  } catch {
    return null;
  } finally {
    await file.close();
  }
}

async function oneOfFew<T>(work: () => Promise<T>): Promise<T> {
  while (opened >= MAX_OPEN) await new Promise<void>((go) => waiting.push(go));
  opened++;
  try {
    return await work();
  } finally {
    opened--;
    waiting.shift()?.();
  }
}

function isExample(value: unknown): boolean {
  return detectLayout([value]) !== null;
}

function firstArrayElementIsExample(text: string, whole: boolean): boolean {
  const start = text.slice(1).search(/\S/) + 1;
  if (start === 0 || text[start] !== '{') return false;
  const end = objectEnd(text, start);
  if (end < 0) return !whole;
  try {
    return isExample(JSON.parse(text.slice(start, end + 1)));
  } catch {
    return false;
  }
}

/** JSON lines; a .json file of them needs a second line (one object alone is a JSON value, not a list of examples). */
function firstLineIsExample(text: string, whole: boolean, jsonl: boolean): boolean {
  const newline = text.indexOf('\n');
  if (newline < 0 && !whole) return jsonl;
  const first = newline < 0 ? text : text.slice(0, newline);
  if (!jsonl && (newline < 0 || !/\S/.test(text.slice(newline)))) return false;
  try {
    return isExample(JSON.parse(first));
  } catch {
    return false;
  }
}

/** Where the object opening at `start` closes (strings and escapes skipped), or -1 when not within `text`. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
