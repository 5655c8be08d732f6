/**
 * Where JSON text stops being valid, as a line and column. V8's JSON.parse gives a character offset for some
 * errors only ("Unexpected token 'x', "..." is not valid JSON" has none), so the text is scanned again when the
 * offset is missing: a plain recursive-descent check of RFC 8259 that stops at the first character it rejects.
 */

export interface JsonErrorPosition {
  readonly line: number;
  readonly column: number;
  /** V8's reason without its offset or quoted excerpt. */
  readonly reason: string;
}

export function jsonErrorPosition(err: Error, text: string): JsonErrorPosition {
  const match = /at position (\d+)/.exec(err.message);
  const offset = match ? Number(match[1]) : firstInvalidOffset(text);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  const reason = err.message
    .replace(/\s*in JSON at position \d+.*$/s, '')
    .replace(/, (\.\.\.)?".*" is not valid JSON$/s, '')
    .replace(/\s*\(line \d+ column \d+\)$/, '');
  return { line, column, reason };
}

class Invalid {
  constructor(readonly offset: number) {}
}

/** The offset of the first character that cannot continue valid JSON (text.length when the text just ends). */
export function firstInvalidOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const expect = (ok: boolean) => {
    if (!ok) throw new Invalid(i);
  };
  const literal = (word: string) => {
    for (const ch of word) {
      expect(text[i] === ch);
      i++;
    }
  };
  const digits = () => {
    expect(i < text.length && text[i]! >= '0' && text[i]! <= '9');
    while (i < text.length && text[i]! >= '0' && text[i]! <= '9') i++;
  };
  const string = () => {
    expect(text[i] === '"');
    i++;
    for (;;) {
      expect(i < text.length);
      const ch = text[i]!;
      if (ch === '"') return void i++;
      expect(ch >= ' ');
      if (ch === '\\') {
        i++;
        if (text[i] === 'u') {
          i++;
          for (let k = 0; k < 4; k++, i++) expect(/[0-9a-fA-F]/.test(text[i] ?? ''));
          continue;
        }
        expect('"\\/bfnrt'.includes(text[i] ?? 'x'));
      }
      i++;
    }
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        string();
        ws();
        expect(text[i] === ':');
        i++;
        value();
        ws();
        if (text[i] === '}') return void i++;
        expect(text[i] === ',');
        i++;
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ']') return void i++;
        expect(text[i] === ',');
        i++;
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  try {
    value();
    ws();
    expect(i === text.length);
    return text.length;
  } catch (e) {
    if (e instanceof Invalid) return Math.min(e.offset, text.length);
    throw e;
  }
}
