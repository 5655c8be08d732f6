/**
 * Whitespace as Python's str.split(), str.strip() and re's \s see it (str.isspace()), which the reference metrics
 * rely on throughout. JavaScript's \s differs: it adds U+FEFF and lacks U+001C-U+001F and U+0085.
 */
const SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const RUN = new RegExp(`[${SPACE}]+`);
const ONE = new RegExp(`^[${SPACE}]$`);
const NOT_SPACE = new RegExp(`[^${SPACE}]`);

const isSpaceAt = (s: string, i: number): boolean => ONE.test(s[i]!);

/** `s.split()`: the words between runs of whitespace, none empty. */
export function pythonSplit(s: string): string[] {
  return s.split(RUN).filter((word) => word.length > 0);
}

/** `s.strip()`. */
export function pythonStrip(s: string): string {
  let start = 0;
  while (start < s.length && isSpaceAt(s, start)) start++;
  return pythonRstrip(s.slice(start));
}

/** `s.rstrip()`. Scanned from the end: a trailing-whitespace regex backtracks over every inner run. */
export function pythonRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && isSpaceAt(s, end - 1)) end--;
  return s.slice(0, end);
}

/** `not s.strip()`: empty or whitespace only. */
export function isBlank(s: string): boolean {
  return !NOT_SPACE.test(s);
}
