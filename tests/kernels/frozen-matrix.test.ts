/**
 * Frozen matrices in every storage (float32, bf16, fp16, NF4 with double-quantized and plain scales), packed on
 * webgpu and widened by the kernels that read them, against the same ops on the float32 matrix each stands for
 * (widened on the CPU by the format's own code): the GEMM in both orientations with its addends, the embedding
 * lookup, and row blocks where one binding is not enough. On wasm the matrices are plain float32: the same checks
 * hold trivially there, and must.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import * as tf from '../../src-main/engine/backend/tf';
import { readNf4Weight } from '../../src-main/engine/formats/bnb-4bit';
import { ModelWeights } from '../../src-main/engine/formats/model-weights';
import { frozenFromNf4 } from '../../src-main/engine/model/frozen-weights';
import { frozenBytes } from '../../src-main/engine/ops/frozen-matrix';
import { frozenRows } from '../../src-main/engine/ops/frozen-rows';
import { gemm, type GemmOptions } from '../../src-main/engine/ops/gemm/gemm';
import { expectClose } from '../expect-close';
import { frozenTestMatrix, randomValues, STORAGES, type Storage } from './frozen-test-matrices';
import { KERNEL_BACKENDS } from './kernel-backends';

const NF4_FIXTURE = join(__dirname, '..', 'fixtures', 'tiny-llama-nf4');

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe.each(KERNEL_BACKENDS)('frozen matrices on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  /**
   * W [rows, cols] in `storage`: x·Wᵀ (transposeB, W's rows are the output's columns) and dy·W (W's rows run along
   * k), plain and, with `addends`, with alpha and a bias and with a low-rank term of either orientation. In one
   * block the product is the dense one to the bit (the same plan reads the same float32 values); in row blocks it
   * is summed or put together in another order.
   */
  async function expectProducts(storage: Storage, [m, rows, cols]: readonly [number, number, number], addends: boolean, blockRows?: number) {
    const { matrix, reference } = frozenTestMatrix(randomValues(rows * cols, rows + cols), [rows, cols], storage, blockRows);
    const split = matrix.blocks.length > 1;
    if (backend === 'webgpu') expect(split).toBe(blockRows !== undefined && rows > blockRows);
    for (const transposeB of [true, false]) {
      const [k, n] = transposeB ? [cols, rows] : [rows, cols];
      const a = tf.randomNormal([m, k], 0, 1, 'float32', 1);
      const left = tf.randomNormal([m, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
      const rightT = tf.randomNormal([n, 3], 0, 1, 'float32', 3) as tf.Tensor2D;
      const bias = tf.randomNormal([n], 0, 1, 'float32', 4) as tf.Tensor1D;
      const variants: GemmOptions[] = [
        {},
        ...(addends
          ? [
              { alpha: 0.5, bias },
              { bias, lowRank: { left, right: rightT, transposeRight: true, scale: 0.25 } },
              { alpha: 2, lowRank: { left, right: tf.transpose(rightT), transposeRight: false, scale: 0.25 } },
            ]
          : []),
      ];
      for (const options of variants) {
        const got = gemm(a, matrix, { ...options, transposeB });
        const want = gemm(a, reference, { ...options, transposeB });
        if (split) await expectClose(got, want, 1e-5);
        else expect(bits((await got.data()) as Float32Array), `${storage} transposeB=${transposeB} ${JSON.stringify(Object.keys(options))}`).toEqual(bits((await want.data()) as Float32Array));
      }
    }
    matrix.dispose();
  }

  // Odd sizes (scalar loads, NF4 blocks across rows, a last word half used) and rows of a multiple of 4 (vec4
  // loads) with every addend; 128 x 128 tiles, and a long k that is split into parts.
  for (const storage of STORAGES) {
    test(`gemm with W in ${storage} equals gemm with the float32 W it stands for, in both orientations and with every addend`, async () => {
      await expectProducts(storage, [33, 17, 19], true);
      await expectProducts(storage, [70, 136, 132], true);
      await expectProducts(storage, [5, 7, 3], false);
      await expectProducts(storage, [130, 260, 72], false);
      await expectProducts(storage, [16, 2100, 40], false);
    });

    // Blocks of 24 rows of 19 start inside an NF4 block of 64.
    test(`gemm with W in ${storage} in row blocks (a binding too small for the whole)`, async () => {
      await expectProducts(storage, [33, 150, 19], true, 24);
      await expectProducts(storage, [40, 200, 68], false, 64);
    });

    test(`frozenRows (the embedding lookup) of W in ${storage}, whole and in row blocks, equals tf.gather of the float32 W`, async () => {
      const [rows, cols] = [200, 36];
      const ids = tf.tensor1d([0, 199, 64, 63, 5, 128, 5, 127], 'int32');
      for (const blockRows of [undefined, 64, 22]) {
        const { matrix, reference } = frozenTestMatrix(randomValues(rows * cols, 3), [rows, cols], storage, blockRows);
        const got = frozenRows(matrix, ids);
        expect(got.shape).toEqual([8, cols]);
        expect(bits((await got.data()) as Float32Array)).toEqual(bits((await tf.gather(reference, ids).data()) as Float32Array));
        matrix.dispose();
      }
    });
  }

  test('bytes: float32 4 a value, 16-bit 2, NF4 about 0.52 (codes, the scales\' 8-bit codes and the second level)', () => {
    const [rows, cols] = [256, 64];
    for (const storage of STORAGES) {
      const { matrix } = frozenTestMatrix(randomValues(rows * cols, 4), [rows, cols], storage);
      const format = backend === 'webgpu' ? (storage === 'nf4 plain' ? 'nf4' : storage) : 'float32';
      if (storage !== 'nf4 plain') expect(matrix.bytes, storage).toBe(frozenBytes(format, rows, cols));
      matrix.dispose();
    }
    expect(frozenBytes('float32', rows, cols)).toBe(4 * rows * cols);
    expect(frozenBytes('bf16', rows, cols)).toBe(2 * rows * cols);
    // 8192 bytes of codes, 256 scale codes, one second-level absmax, the 256-value map and the 16 code values.
    expect(frozenBytes('nf4', rows, cols)).toBe(8192 + 256 + 4 + 1024 + 64);
  });

  describe('the bitsandbytes checkpoint tiny-llama-nf4/bnb-4bit', () => {
    let bnb: ModelWeights;
    let dequantized: ModelWeights;
    beforeAll(async () => {
      [bnb, dequantized] = await Promise.all([ModelWeights.open(join(NF4_FIXTURE, 'bnb-4bit')), ModelWeights.open(join(NF4_FIXTURE, 'dequantized'))]);
    });
    afterAll(async () => {
      await Promise.all([bnb.close(), dequantized.close()]);
    });

    test('read row by row from its stored codes, every projection equals dequantized/ bit for bit', async () => {
      const names = bnb.names().filter((n) => /_proj\.weight$/.test(n));
      expect(names).toHaveLength(14);
      for (const name of names) {
        const matrix = frozenFromNf4(await readNf4Weight(bnb, name));
        if (backend === 'webgpu') expect(matrix.format).toBe('nf4');
        const rows = frozenRows(matrix, tf.range(0, matrix.rows, 1, 'int32') as tf.Tensor1D);
        expect(bits((await rows.data()) as Float32Array), name).toEqual(bits((await dequantized.read(name)) as Float32Array));
        matrix.dispose();
      }
    });
  });
});
