/**
 * WGSL that reads a frozen matrix's elements (frozen-matrix.ts) widened to float32, shared by the GEMM's loads of
 * a packed B and the embedding lookup. `at(e)` reads element e of the bound row block (row-major); `at4(e)`
 * elements e .. e + 3 for e a multiple of 4 and rows of a multiple of 4: as row blocks start on whole words, they
 * are one word of NF4 codes or two of 16-bit values, and lie in one NF4 block of 64, so one scale serves all four.
 *   bf16: the 16 bits shifted into the top of a float32; fp16: unpack2x16float (no shader-f16 feature needed).
 *   nf4:  codeValues[code] · scale, the scale bitsandbytes' `nestedMap[c] · nestedAbsmax[j / 256] + offset`
 *         (each step rounded to float32, as it does) or a plain float32 absmax.
 */
import type * as tf from '../backend/tf';
import { NF4_TABLE, type FrozenFormat, type FrozenMatrix } from './frozen-matrix';

/** What changes a reader's WGSL: the format and, for NF4, how its scales are kept. */
export interface FrozenLayout {
  readonly format: FrozenFormat;
  readonly scales: 'nested' | 'plain' | null;
}

export const frozenLayout = (m: FrozenMatrix): FrozenLayout => ({ format: m.format, scales: m.nf4?.kind ?? null });

/** A short name for program keys and tuning keys: 'float32', 'bf16', 'fp16', 'nf4', 'nf4 plain'. */
export const layoutLabel = (l: FrozenLayout): string => `${l.format}${l.scales === 'plain' ? ' plain' : ''}`;

export interface FrozenReader {
  /** The program's inputs for the matrix, its data then (NF4) its tables, bound as scalars: see readerTensors. */
  readonly inputs: string[];
  /** Uniforms the reader declares, filled by readerUniforms. */
  readonly uniforms: Array<[name: string, type: 'i32' | 'f32']>;
  /** Module-scope WGSL: the functions `at` and `at4` call. */
  readonly declarations: string;
  at(e: string): string;
  at4(e: string): string;
}

/** The reader of a matrix bound under `name` (its data; an NF4 matrix's tables under `<name>_TABLES`). */
export function frozenReader({ format, scales }: FrozenLayout, name: string): FrozenReader {
  const fn = name.toLowerCase();
  const call = { at: (e: string) => `${fn}At(${e})`, at4: (e: string) => `${fn}At4(${e})` };
  if (format === 'float32') {
    return {
      inputs: [name],
      uniforms: [],
      declarations: `
      fn ${fn}At(e : i32) -> f32 { return ${name}[e]; }
      fn ${fn}At4(e : i32) -> vec4<f32> { return vec4<f32>(${name}[e], ${name}[e + 1], ${name}[e + 2], ${name}[e + 3]); }`,
      ...call,
    };
  }
  if (format === 'bf16' || format === 'fp16') {
    const pair =
      format === 'bf16'
        ? `let u = bitcast<u32>(w); return vec2<f32>(bitcast<f32>(u << 16u), bitcast<f32>(u & 0xffff0000u));`
        : `return unpack2x16float(bitcast<u32>(w));`;
    return {
      inputs: [name],
      uniforms: [],
      declarations: `
      fn ${fn}Pair(w : i32) -> vec2<f32> { ${pair} }
      fn ${fn}At(e : i32) -> f32 { let p = ${fn}Pair(${name}[e / 2]); return select(p.x, p.y, e % 2 == 1); }
      fn ${fn}At4(e : i32) -> vec4<f32> { return vec4<f32>(${fn}Pair(${name}[e / 2]), ${fn}Pair(${name}[e / 2 + 1])); }`,
      ...call,
    };
  }
  const u = (field: string) => `uniforms.${fn}${field}`;
  const tables = `${name}_TABLES`;
  const float = (index: string) => `bitcast<f32>(${tables}[${index}])`;
  const codeValue = (code: string) => float(`${NF4_TABLE.codeValues} + ${code}`);
  // A multiply-add may be fused (rounded once) by the shader compiler unless the product passes through something
  // it cannot see through: an xor with a uniform 0 keeps the product rounded to float32, as bitsandbytes has it.
  const scale =
    scales === 'nested'
      ? `let code = (bitcast<u32>(${tables}[${u('CodesAt')} + j / 4]) >> (u32(j % 4) * 8u)) & 255u;
        let product = ${float(`${NF4_TABLE.nestedMap} + i32(code)`)} * ${float(`${NF4_TABLE.nestedAbsmax} + j / 256`)};
        return bitcast<f32>(bitcast<i32>(product) ^ ${u('KeepRounded')}) + ${u('Offset')};`
      : `return ${float(`${NF4_TABLE.absmax} + j`)};`;
  return {
    inputs: [name, tables],
    uniforms: [
      [`${fn}FirstElement`, 'i32'],
      [`${fn}CodesAt`, 'i32'],
      [`${fn}Offset`, 'f32'],
      [`${fn}KeepRounded`, 'i32'],
    ],
    // Element 2i is the high nibble of byte i, byte 0 the low byte of a word.
    declarations: `
      fn ${fn}Scale(e : i32) -> f32 {
        let j = (${u('FirstElement')} + e) / 64;
        ${scale}
      }
      fn ${fn}At(e : i32) -> f32 {
        let code = (bitcast<u32>(${name}[e / 8]) >> ((u32(e % 8) * 4u) ^ 4u)) & 15u;
        return ${codeValue('i32(code)')} * ${fn}Scale(e);
      }
      fn ${fn}At4(e : i32) -> vec4<f32> {
        let bits = i32(bitcast<u32>(${name}[e / 8]) >> (u32(e % 8) * 4u));
        let codes = vec4<f32>(${codeValue('((bits >> 4) & 15)')}, ${codeValue('(bits & 15)')}, ${codeValue('((bits >> 12) & 15)')}, ${codeValue('((bits >> 8) & 15)')});
        return codes * ${fn}Scale(e);
      }`,
    ...call,
  };
}

/** The tensors a reader binds for one row block of the matrix, in its `inputs` order. */
export function readerTensors(m: FrozenMatrix, block: number): tf.Tensor[] {
  return [m.blocks[block]!.data, ...(m.nf4 ? [m.nf4.tables] : [])];
}

/** The values of a reader's uniforms for one row block: where it starts in the matrix, where the scale codes are, the offset, and the 0 that keeps products rounded. */
export function readerUniforms(m: FrozenMatrix, block: number): number[] {
  if (!m.nf4) return [];
  return [m.blocks[block]!.firstRow * m.cols, m.nf4.codesAt, m.nf4.offset, 0];
}
