/**
 * The quantization of a model folder that transformers saved with bitsandbytes 4-bit weights
 * (`BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4")`): `quantization_config` in config.json,
 * and for each quantized linear weight `<p>.weight` the packed codes plus the companion tensors bitsandbytes
 * writes beside it. tests/fixtures/README.md ("4-bit NF4") describes the layout.
 */
import { z } from 'zod';
import { UserError, validationError } from '../errors';
import { dequantizeNf4, NESTED_BLOCK_SIZE, NF4_BLOCK_SIZE, NF4_CODE_VALUES, type Nf4Absmax, type Nf4Weight } from '../quant/nf4';
import type { TensorDtype } from './dtype';
import type { ModelWeights } from './model-weights';

export interface Bnb4bitQuantization {
  readonly method: 'bitsandbytes-nf4';
  /** Whether the block scales are themselves quantized (`bnb_4bit_use_double_quant`). */
  readonly doubleQuant: boolean;
  /** The dtype transformers dequantizes to for the forward pass (`bnb_4bit_compute_dtype`). */
  readonly computeDtype: 'float32' | 'float16' | 'bfloat16';
}

const INSTEAD = 'Use the unquantized model folder, with quantization_bit: 4 (TuneBoard quantizes it to NF4 when loading).';

const COMPUTE_DTYPES = ['float32', 'float16', 'bfloat16'] as const;

/**
 * The quantization that config.json's `quantization_config` declares: null for an unquantized model,
 * bitsandbytes 4-bit NF4 accepted, anything else refused naming what it is.
 */
export function quantizationOf(configRaw: unknown, source: string): Bnb4bitQuantization | null {
  const q = (configRaw as { quantization_config?: unknown } | null)?.quantization_config;
  if (q === undefined || q === null) return null;
  if (typeof q !== 'object' || Array.isArray(q)) throw new UserError(`${source}: quantization_config is not an object`, INSTEAD);
  const c = q as Record<string, unknown>;
  const method = typeof c['quant_method'] === 'string' ? c['quant_method'].toLowerCase() : undefined;
  // Configs written before transformers added quant_method hold only the load_in_* flags.
  const isBitsandbytes = method === 'bitsandbytes' || (method === undefined && ('load_in_4bit' in c || 'load_in_8bit' in c));
  if (!isBitsandbytes) {
    const what =
      method === 'gptq' ? 'GPTQ' : method === 'awq' ? 'AWQ' : method === undefined ? 'an unnamed quantization method' : `quant_method ${method}`;
    throw new UserError(`${source}: the model is quantized with ${what}, which TuneBoard cannot train on`, INSTEAD);
  }
  if (c['load_in_8bit'] === true) {
    throw new UserError(`${source}: the model is quantized with 8-bit bitsandbytes (load_in_8bit), which TuneBoard cannot train on`, INSTEAD);
  }
  if (c['load_in_4bit'] !== true) throw new UserError(`${source}: quantization_config is bitsandbytes but sets neither load_in_4bit nor load_in_8bit`, INSTEAD);
  // transformers' default quant type is fp4.
  const quantType = c['bnb_4bit_quant_type'] ?? 'fp4';
  if (quantType !== 'nf4') {
    throw new UserError(`${source}: the model is quantized with bitsandbytes 4-bit ${String(quantType)}; TuneBoard reads only nf4`, INSTEAD);
  }
  const doubleQuant = c['bnb_4bit_use_double_quant'] ?? false;
  if (typeof doubleQuant !== 'boolean') throw new UserError(`${source}: quantization_config.bnb_4bit_use_double_quant is ${JSON.stringify(doubleQuant)}, not true or false`);
  const computeDtype = c['bnb_4bit_compute_dtype'] ?? 'float32';
  if (!(COMPUTE_DTYPES as readonly unknown[]).includes(computeDtype)) {
    throw new UserError(`${source}: quantization_config.bnb_4bit_compute_dtype ${JSON.stringify(computeDtype)} is not one of ${COMPUTE_DTYPES.join(', ')}`);
  }
  return { method: 'bitsandbytes-nf4', doubleQuant, computeDtype: computeDtype as Bnb4bitQuantization['computeDtype'] };
}

const COMPANION = /\.(absmax|quant_map|nested_absmax|nested_quant_map|quant_state\.bitsandbytes__[a-z0-9]+)$/;

/** Whether a tensor is one of the extras bitsandbytes saves beside a quantized weight (not a weight of its own). */
export function isQuantizedCompanion(name: string): boolean {
  return COMPANION.test(name);
}

const quantStateSchema = z.object({
  quant_type: z.string(),
  blocksize: z.number().int().positive(),
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  nested_blocksize: z.number().int().positive().optional(),
  nested_dtype: z.string().optional(),
  nested_offset: z.number().optional(),
});

/** A quantized weight as its headers and quant_state describe it, every piece checked against the others. */
interface Nf4Header {
  readonly shape: [number, number];
  /** The absmax companion's name, and the second level's offset when the scales are themselves quantized. */
  readonly absmaxName: string;
  readonly nestedOffset: number | null;
}

/**
 * Checks a bitsandbytes 4-bit weight without reading its data (only its small quant_state): every companion is
 * there with its dtype, and its sizes agree with the quant_state's shape and block sizes. What loading and
 * `tuneboard info` both check, naming the tensor and file.
 */
export async function checkNf4Weight(weights: ModelWeights, name: string): Promise<Nf4Header> {
  const { where, broken, companion } = describe(weights, name);
  const count = (full: string) => weights.info(full).shape.reduce((a, b) => a * b, 1);
  const expectDtype = (full: string, dtype: string, why: string) => {
    if (weights.info(full).dtype !== dtype) throw new UserError(`${where}: ${full} has dtype ${weights.info(full).dtype}, ${why}`, broken);
  };
  if (!weights.has(`${name}.quant_state.bitsandbytes__nf4`)) {
    const other = weights.names().find((n) => n.startsWith(`${name}.quant_state.bitsandbytes__`));
    if (other) throw new UserError(`${where} is quantized as ${other.slice(other.lastIndexOf('__') + 2)}; TuneBoard reads only nf4`, INSTEAD);
  }
  const stateName = companion('quant_state.bitsandbytes__nf4');
  let stateJson: unknown;
  try {
    stateJson = JSON.parse(new TextDecoder().decode(await weights.readBytes(stateName)));
  } catch {
    throw new UserError(`${where}: ${stateName} is not valid JSON`, broken);
  }
  const parsed = quantStateSchema.safeParse(stateJson);
  if (!parsed.success) throw validationError(`${where}: ${stateName}`, parsed.error.issues, broken);
  const state = parsed.data;
  if (state.quant_type !== 'nf4') throw new UserError(`${where}: quant_type is ${state.quant_type}; TuneBoard reads only nf4`, INSTEAD);
  if (state.shape.length !== 2) throw new UserError(`${where}: quant_state shape [${state.shape.join(', ')}] is not the [out, in] of a linear weight`, broken);
  const shape: [number, number] = [state.shape[0]!, state.shape[1]!];
  const n = shape[0] * shape[1];
  const codeBytes = Math.ceil(n / 2);
  expectDtype(name, 'U8', 'but 4-bit codes are stored as U8');
  if (count(name) !== codeBytes) {
    throw new UserError(`${where}: quant_state shape [${shape.join(', ')}] needs ${codeBytes} bytes of 4-bit codes but the tensor holds ${count(name)}`, broken);
  }
  const absmaxName = companion('absmax');
  const blocks = Math.ceil(n / state.blocksize);
  if (count(absmaxName) !== blocks) {
    throw new UserError(`${where}: quant_state blocksize ${state.blocksize} and shape [${shape.join(', ')}] make ${blocks} blocks but ${absmaxName} holds ${count(absmaxName)}`, broken);
  }
  if (state.blocksize !== NF4_BLOCK_SIZE) {
    throw new UserError(`${where}: quant_state blocksize is ${state.blocksize}; TuneBoard reads blocksize ${NF4_BLOCK_SIZE} (transformers' default)`, INSTEAD);
  }
  const quantMap = companion('quant_map');
  expectDtype(quantMap, 'F32', 'expected F32');
  if (count(quantMap) !== 16) throw new UserError(`${where}: ${quantMap} holds ${count(quantMap)} values, not the 16 of NF4`, INSTEAD);
  if (state.nested_offset === undefined) {
    expectDtype(absmaxName, 'F32', 'expected F32');
    return { shape, absmaxName, nestedOffset: null };
  }
  const nestedBlocksize = state.nested_blocksize ?? NESTED_BLOCK_SIZE;
  if (nestedBlocksize !== NESTED_BLOCK_SIZE) {
    throw new UserError(`${where}: quant_state nested_blocksize is ${nestedBlocksize}; TuneBoard reads ${NESTED_BLOCK_SIZE} (bitsandbytes' default)`, INSTEAD);
  }
  expectDtype(absmaxName, 'U8', 'but a double-quantized weight stores 8-bit codes (U8)');
  const nestedAbsmax = companion('nested_absmax');
  expectDtype(nestedAbsmax, 'F32', 'expected F32');
  const nestedBlocks = Math.ceil(blocks / NESTED_BLOCK_SIZE);
  if (count(nestedAbsmax) !== nestedBlocks) {
    throw new UserError(`${where}: ${blocks} block scales in blocks of ${NESTED_BLOCK_SIZE} make ${nestedBlocks} nested scales but ${nestedAbsmax} holds ${count(nestedAbsmax)}`, broken);
  }
  const nestedMap = companion('nested_quant_map');
  expectDtype(nestedMap, 'F32', 'expected F32');
  if (count(nestedMap) !== 256) throw new UserError(`${where}: ${nestedMap} holds ${count(nestedMap)} values, not 256`, broken);
  return { shape, absmaxName, nestedOffset: state.nested_offset };
}

/** A bitsandbytes 4-bit weight read whole: checked (checkNf4Weight), then its codes, scales and maps. */
export async function readNf4Weight(weights: ModelWeights, name: string): Promise<Nf4Weight> {
  const { shape, absmaxName, nestedOffset } = await checkNf4Weight(weights, name);
  const { where } = describe(weights, name);
  const floats = async (full: string) => (await weights.read(full)) as Float32Array;
  const quantMap = await floats(`${name}.quant_map`);
  if (!quantMap.every((v, i) => Object.is(v, NF4_CODE_VALUES[i]))) throw new UserError(`${where}: ${name}.quant_map is not the NF4 code`, INSTEAD);
  const codes = await weights.readBytes(name);
  const absmax: Nf4Absmax =
    nestedOffset === null
      ? { kind: 'plain', values: await floats(absmaxName) }
      : { kind: 'nested', codes: await weights.readBytes(absmaxName), nestedAbsmax: await floats(`${name}.nested_absmax`), nestedMap: await floats(`${name}.nested_quant_map`), offset: Math.fround(nestedOffset) };
  return { shape, codes, absmax };
}

/** Where a quantized weight lives, in words for errors, and its companions by suffix (missing ones refused). */
function describe(weights: ModelWeights, name: string) {
  const file = weights.files.find((f) => f.tensors.has(name));
  if (!file) throw new UserError(`${weights.dir}: the weights have no tensor ${name}`, 'The folder may be incomplete or hold another architecture than config.json says.');
  const where = `${file.path}: ${name}`;
  const broken = 'The quantized checkpoint is incomplete or was not written by transformers with bitsandbytes; download it again or use the unquantized model.';
  const companion = (suffix: string) => {
    const full = `${name}.${suffix}`;
    if (!weights.has(full)) throw new UserError(`${where} has no ${full}, which a bitsandbytes 4-bit weight needs`, broken);
    return full;
  };
  return { where, broken, companion };
}

/**
 * A bitsandbytes 4-bit folder's weights as dense tensors, for merging and exporting: each quantized weight is
 * dequantized (float32, exactly as bitsandbytes) when it is read, and its companions are not listed.
 */
export class DequantizedWeights {
  private constructor(
    private readonly weights: ModelWeights,
    private readonly quantized: ReadonlyMap<string, readonly [number, number]>,
  ) {}

  static async open(weights: ModelWeights): Promise<DequantizedWeights> {
    const quantized = new Map<string, readonly [number, number]>();
    for (const name of weights.names()) {
      if (!isQuantizedCompanion(name) && weights.has(`${name}.quant_state.bitsandbytes__nf4`)) quantized.set(name, (await checkNf4Weight(weights, name)).shape);
    }
    return new DequantizedWeights(weights, quantized);
  }

  get dir(): string {
    return this.weights.dir;
  }

  names(): string[] {
    return this.weights.names().filter((n) => !isQuantizedCompanion(n));
  }

  has(name: string): boolean {
    return !isQuantizedCompanion(name) && this.weights.has(name);
  }

  info(name: string): { readonly shape: readonly number[]; readonly dtype: TensorDtype } {
    const shape = this.quantized.get(name);
    return shape ? { shape, dtype: 'F32' } : this.weights.info(name);
  }

  async read(name: string): Promise<Float32Array | Int32Array> {
    return this.quantized.has(name) ? dequantizeNf4(await readNf4Weight(this.weights, name)) : this.weights.read(name);
  }

  async readBytes(name: string): Promise<Uint8Array> {
    if (this.quantized.has(name)) throw new Error(`${name} is quantized: read() gives its values`);
    return this.weights.readBytes(name);
  }

  close(): Promise<void> {
    return this.weights.close();
  }
}
