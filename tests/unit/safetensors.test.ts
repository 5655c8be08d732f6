import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decode, encode, toBfloat16 } from '../../src-main/engine/formats/dtype';
import { SafetensorsFile, writeSafetensors } from '../../src-main/engine/formats/safetensors';
import { UserError } from '../../src-main/engine/errors';

const dir = mkdtempSync(join(tmpdir(), 'tb-st-'));

describe('safetensors', () => {
  test('writes and reads back F32, F16, BF16, I32 and I64', async () => {
    const f = Float32Array.from([0, 1, -2.5, 3.140625, 65504, -1e-3]);
    const ints = Int32Array.from([0, -1, 7, 2147483647, -2147483648, 12]);
    const path = join(dir, 'all.safetensors');
    await writeSafetensors(
      path,
      [
        { name: 'f32', dtype: 'F32', shape: [2, 3], bytes: encode('F32', f) },
        { name: 'f16', dtype: 'F16', shape: [6], bytes: encode('F16', f) },
        { name: 'bf16', dtype: 'BF16', shape: [3, 2], bytes: encode('BF16', f) },
        { name: 'i32', dtype: 'I32', shape: [6], bytes: encode('I32', ints) },
        { name: 'i64', dtype: 'I64', shape: [6], bytes: encode('I64', ints) },
      ],
      { format: 'pt' },
    );
    const file = await SafetensorsFile.open(path);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect([...(await file.read('f32'))]).toEqual([...f]);
    expect(file.info('bf16').shape).toEqual([3, 2]);
    expect([...(await file.read('i32'))]).toEqual([...ints]);
    expect([...(await file.read('i64'))]).toEqual([...ints]);
    // float16 keeps these values exactly except -1e-3 (nearest half is -0.0010004)
    const f16 = await file.read('f16');
    expect(f16[4]).toBe(65504);
    expect(Math.abs(f16[5]! + 1e-3)).toBeLessThan(1e-6);
    const bf16 = await file.read('bf16');
    expect(bf16[3]).toBe(3.140625);
    expect(bf16[4]).toBe(65536); // 65504 rounds to the nearest bfloat16
    await file.close();
    // The header is padded with spaces to a multiple of 8, as the reference writer does.
    const bytes = readFileSync(path);
    expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
  });

  test('bfloat16 rounds to nearest even', () => {
    const bits = (u: number) => new Float32Array(Uint32Array.of(u).buffer)[0]!;
    // 0x3f808000 is exactly halfway between 0x3f80 and 0x3f81: ties go to the even 0x3f80.
    expect(toBfloat16(Float32Array.of(bits(0x3f808000)))[0]).toBe(0x3f80);
    expect(toBfloat16(Float32Array.of(bits(0x3f818000)))[0]).toBe(0x3f82);
    expect(toBfloat16(Float32Array.of(bits(0x3f808001)))[0]).toBe(0x3f81);
    expect(toBfloat16(Float32Array.of(NaN))[0]).toBe(0x7fc0);
    expect(decode('BF16', new Uint8Array(Uint16Array.of(0x3f80).buffer))[0]).toBe(1);
  });

  async function expectCorrupt(bytes: Uint8Array, pattern: RegExp) {
    const path = join(dir, `bad-${Math.random().toString(36).slice(2)}.safetensors`);
    writeFileSync(path, bytes);
    const err = await SafetensorsFile.open(path).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(pattern);
  }

  test('a truncated file is a clear error naming the file', async () => {
    const path = join(dir, 'good.safetensors');
    await writeSafetensors(path, [{ name: 'w', dtype: 'F32', shape: [64], bytes: encode('F32', new Float32Array(64)) }]);
    const whole = readFileSync(path);
    await expectCorrupt(whole.subarray(0, whole.length - 10), /tensor w ends at byte 256 .*truncated/);
    await expectCorrupt(whole.subarray(0, 5), /only 5 bytes/);
    await expectCorrupt(whole.subarray(0, 20), /header length/);
  });

  test('a corrupt header is a clear error', async () => {
    const header = (json: string) => {
      const b = Buffer.alloc(8 + json.length);
      b.writeBigUInt64LE(BigInt(json.length));
      b.write(json, 8);
      return b;
    };
    await expectCorrupt(header('{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]'), /not valid JSON/);
    await expectCorrupt(header('[1, 2]'), /not a JSON object/);
    await expectCorrupt(Buffer.concat([header('{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}'), Buffer.alloc(8)]), /spans 8 bytes but its shape needs 12/);
    await expectCorrupt(Buffer.concat([header('{"w": {"dtype": "F8_E4M3", "shape": [8], "data_offsets": [0, 8]}}'), Buffer.alloc(8)]), /dtype F8_E4M3/);
  });

  test('data ranges must tile the data area: overlaps, gaps and trailing bytes are refused naming the tensor', async () => {
    const header = (json: string) => {
      const b = Buffer.alloc(8 + json.length);
      b.writeBigUInt64LE(BigInt(json.length));
      b.write(json, 8);
      return b;
    };
    const two = (a: [number, number], b: [number, number], data: number) =>
      Buffer.concat([header(`{"a": {"dtype": "F32", "shape": [2], "data_offsets": [${a}]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [${b}]}}`), Buffer.alloc(data)]);
    await expectCorrupt(two([0, 8], [4, 12], 12), /the data of tensor b \(bytes 4-12\) overlaps tensor a's \(bytes 0-8\)/);
    await expectCorrupt(two([0, 8], [0, 8], 8), /overlaps tensor/);
    await expectCorrupt(two([0, 8], [12, 20], 20), /bytes 8-12 before tensor b belong to no tensor/);
    await expectCorrupt(two([0, 8], [8, 16], 24), /8 bytes of data after its last tensor/);
    // The same two tensors, contiguous, open.
    const path = join(dir, 'tiled.safetensors');
    writeFileSync(path, two([8, 16], [0, 8], 16));
    const file = await SafetensorsFile.open(path);
    expect([...file.tensors.keys()]).toEqual(['a', 'b']);
    await file.close();
  });

  test('U8 and I8 tensors (bitsandbytes codes) read as their bytes, widened to int32 by read()', async () => {
    const bytes = Uint8Array.of(0, 1, 127, 128, 255);
    const path = join(dir, 'bytes.safetensors');
    await writeSafetensors(path, [
      { name: 'u8', dtype: 'U8', shape: [5, 1], bytes },
      { name: 'i8', dtype: 'I8', shape: [5], bytes },
    ]);
    const file = await SafetensorsFile.open(path);
    expect([...(await file.readBytes('u8'))]).toEqual([0, 1, 127, 128, 255]);
    const u8 = await file.read('u8');
    expect(u8).toBeInstanceOf(Int32Array);
    expect([...u8]).toEqual([0, 1, 127, 128, 255]);
    expect([...(await file.read('i8'))]).toEqual([0, 1, 127, -128, -1]);
    await file.close();
  });
});
