/**
 * Words as Python jieba 0.42 cuts them (`jieba.cut(text)`: accurate mode, HMM on), the split LLaMA-Factory scores
 * ROUGE on. jieba-rs (as jieba-wasm, dictionary built in, no download) does the dictionary and HMM work; this file
 * covers the two places where jieba-rs parts from the Python:
 * - the blocks: Python hands only runs of [\u4E00-\u9FD5a-zA-Z0-9+#&._%-] to the dictionary and yields every other
 *   character alone ("\r\n" as one); jieba-rs counts more CJK ranges (Extension A, compatibility ideographs, the
 *   supplementary planes) as such runs. So the text is split into Python's blocks here, and jieba-rs sees one at a time.
 * - the Latin runs the HMM step cuts: Python splits them at [a-zA-Z0-9]+(?:\.\d+)?%? where jieba-rs's pattern has an
 *   unescaped dot, so it keeps "2e-4" or "x_1" whole where Python gives "2e", "-", "4". Such runs are cut again here.
 */
import type * as Jieba from 'jieba-wasm';

export type WordSplitter = (text: string) => string[];

/** Python jieba's re_han_default: the blocks its dictionary and HMM see. */
const HAN_BLOCK = /[\u4E00-\u9FD5a-zA-Z0-9+#&._%-]+/g;
/** What Python's re_skip_default keeps together outside those blocks; anything else is one character a word. */
const OUTSIDE_BLOCK_WORD = /\r\n|[^]/gu;
/** A word of a block's non-Chinese characters. */
const LATIN_WORD = /^[a-zA-Z0-9+#&._%-]+$/;
/** Dictionary words of those characters alone: found by the dictionary step, which both agree on. */
const LATIN_DICTIONARY_WORDS = new Set(['AT&T', 'c#', 'C#', 'c++', 'C++']);
/** finalseg's re_skip: how Python's HMM step cuts a non-Chinese run. */
const HMM_LATIN_PIECE = /[a-zA-Z0-9]+(?:\.[0-9]+)?%?/g;

type Cut = typeof Jieba.cut;

let loading: Promise<WordSplitter> | undefined;

/**
 * The splitter, once jieba-wasm has loaded: its Node build reads and compiles a 4 MB wasm module (dictionary inside)
 * on import, and builds the dictionary on first use (about half a second), so nothing happens until a score is asked for.
 */
export function loadWordSplitter(): Promise<WordSplitter> {
  loading ??= import('jieba-wasm').then(({ cut }) => (text: string) => splitWords(text, cut));
  return loading;
}

function splitWords(text: string, cut: Cut): string[] {
  const words: string[] = [];
  let last = 0;
  for (const block of text.matchAll(HAN_BLOCK)) {
    for (const w of text.slice(last, block.index).matchAll(OUTSIDE_BLOCK_WORD)) words.push(w[0]);
    words.push(...recutLatinRuns(cut(block[0], true)));
    last = block.index + block[0].length;
  }
  for (const w of text.slice(last).matchAll(OUTSIDE_BLOCK_WORD)) words.push(w[0]);
  return words;
}

/**
 * Joins each run of consecutive Latin words of one block and cuts it as Python's HMM step does. Within a block such
 * a run is one non-Chinese stretch of one HMM buffer: buffers end only at dictionary words of two or more
 * characters, and those hold a Chinese character or are LATIN_DICTIONARY_WORDS, which end a run.
 */
function recutLatinRuns(words: readonly string[]): string[] {
  const out: string[] = [];
  let run = '';
  const flush = () => {
    if (run) out.push(...splitLikeFinalseg(run));
    run = '';
  };
  for (const w of words) {
    if (LATIN_WORD.test(w) && !LATIN_DICTIONARY_WORDS.has(w)) {
      run += w;
    } else {
      flush();
      out.push(w);
    }
  }
  flush();
  return out;
}

/** `[x for x in re_skip.split(run) if x]`: the pattern's matches and the pieces between them. */
function splitLikeFinalseg(run: string): string[] {
  const pieces: string[] = [];
  let last = 0;
  for (const m of run.matchAll(HMM_LATIN_PIECE)) {
    if (m.index > last) pieces.push(run.slice(last, m.index));
    pieces.push(m[0]);
    last = m.index + m[0].length;
  }
  if (last < run.length) pieces.push(run.slice(last));
  return pieces;
}
