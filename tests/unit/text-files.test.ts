/** Text files in the encodings users save them in, and filesystem errors in words that name the path and what to do. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { describeError, fileSystemError } from '../../src-main/engine/errors';
import { loadDataset } from '../../src-main/engine/data/load-dataset';
import { readJsonFile } from '../../src-main/engine/text-files';

const dir = mkdtempSync(join(tmpdir(), 'tb-text-'));
const rows = [{ instruction: 'Say hé', output: '你好' }];

function utf16(text: string, littleEndian: boolean): Buffer {
  const body = Buffer.from(text, 'utf16le');
  if (!littleEndian) body.swap16();
  return Buffer.concat([Buffer.from(littleEndian ? [0xff, 0xfe] : [0xfe, 0xff]), body]);
}

describe('text encodings', () => {
  test('UTF-8 with or without a byte-order mark, and UTF-16 with one, read the same', async () => {
    const text = JSON.stringify(rows);
    const files = {
      'plain.json': Buffer.from(text),
      'bom.json': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
      'le.json': utf16(text, true),
      'be.json': utf16(text, false),
    };
    for (const [name, bytes] of Object.entries(files)) {
      writeFileSync(join(dir, name), bytes);
      const loaded = await loadDataset({ kind: 'file', path: join(dir, name) });
      expect(loaded.conversations[0]!.messages.map((m) => m.content), name).toEqual(['Say hé', '你好']);
    }
  });

  test('a Latin-1 file is refused with the offset of its first byte that is not UTF-8', async () => {
    const path = join(dir, 'latin1.json');
    writeFileSync(path, Buffer.from(JSON.stringify(rows), 'latin1'));
    const offset = JSON.stringify(rows).indexOf('é');
    await expect(readJsonFile(path)).rejects.toThrow(`${path} is not UTF-8 text: byte ${offset} (0xe9) cannot start or continue a character`);
  });

  test('UTF-16 without a byte-order mark is named as such, not printed as bytes with NULs', async () => {
    const path = join(dir, 'nobom.json');
    writeFileSync(path, Buffer.from(JSON.stringify(rows), 'utf16le'));
    const err = await readJsonFile(path).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/nobom.json holds a NUL character at byte 1: it is not UTF-8 text \(UTF-16 without a byte-order mark\?\)/);
    expect((err as Error).message).not.toContain('\0');
  });

  test('invalid JSON is named with its line and column', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{\n  "a": 1,\n  "b": }\n');
    await expect(readJsonFile(path)).rejects.toThrow(/broken.json is not valid JSON: line 3, column 8/);
  });
});

describe('filesystem errors', () => {
  const reasonOf = async (action: () => Promise<unknown>) => describeError(await action().then(() => null, (e: unknown) => e));

  test('real errors name the path, the reason and what to do, never a raw errno', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect(await reasonOf(() => readFile(join(dir, 'missing.json')))).toBe(`cannot open ${join(dir, 'missing.json')}: it does not exist\nCheck the path, or create the folder first.`);
    expect(await reasonOf(() => mkdir(join(file, 'sub')))).toMatch(new RegExp(`^cannot create the folder ${join(file, 'sub')}: a part of the path is a file, not a folder\\n`));
    mkdirSync(join(dir, 'a-folder'), { recursive: true });
    expect(await reasonOf(() => readFile(join(dir, 'a-folder')))).toMatch(/: it is a folder, where a file was expected\nChoose a file, not a folder\./);
  });

  test('full and read-only disks say so with advice, and the config key where there is one', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write', path: '/data/run/adapter_model.safetensors' });
    expect(describeError(full)).toBe('cannot write /data/run/adapter_model.safetensors: the disk is full\nFree some space on that disk, or choose a folder on another disk.');
    const readOnly = Object.assign(new Error('EROFS: read-only file system, mkdir'), { code: 'EROFS', syscall: 'mkdir', path: '/mnt/cdrom/run' });
    expect(fileSystemError(readOnly, 'output_dir')!.message).toBe('output_dir: cannot create the folder /mnt/cdrom/run: the filesystem is read-only');
    expect(fileSystemError(new Error('plain bug'))).toBeNull();
  });
});
