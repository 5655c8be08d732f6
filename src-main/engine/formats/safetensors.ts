/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header
 * (`name -> {dtype, shape, data_offsets}` plus optional `__metadata__`), then the raw tensor bytes.
 * https://github.com/huggingface/safetensors#format
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { UserError } from '../errors';
import { BYTES_PER_ELEMENT, decode, type TensorDtype } from './dtype';

export interface TensorInfo {
  readonly name: string;
  readonly dtype: TensorDtype;
  readonly shape: readonly number[];
  /** Byte offsets relative to the start of the data section. */
  readonly begin: number;
  readonly end: number;
}

/** The largest header we accept; real headers are a few hundred KB at most. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly dataOffset: number,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      throw new UserError(`cannot open ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    try {
      const size = (await handle.stat()).size;
      const { header, dataOffset } = await readHeader(handle, size, path);
      const { tensors, metadata } = parseHeader(header, size - dataOffset, path);
      return new SafetensorsFile(path, handle, dataOffset, tensors, metadata);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new UserError(`${basename(this.path)} has no tensor named ${name}`);
    return info;
  }

  /** The tensor's stored bytes, exactly as in the file. */
  async readBytes(name: string): Promise<Uint8Array> {
    const info = this.info(name);
    const bytes = new Uint8Array(info.end - info.begin);
    const { bytesRead } = await this.handle.read(bytes, 0, bytes.length, this.dataOffset + info.begin);
    if (bytesRead !== bytes.length) throw new UserError(`${this.path} is truncated: tensor ${name} is incomplete`);
    return bytes;
  }

  /** The tensor's values widened to float32 (floating dtypes) or int32 (integer dtypes, U8 and I8 included). */
  async read(name: string): Promise<Float32Array | Int32Array> {
    const info = this.info(name);
    return decode(info.dtype, await this.readBytes(name));
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

async function readHeader(handle: FileHandle, size: number, path: string) {
  const corrupt = (why: string) =>
    new UserError(`${path} is not a valid safetensors file: ${why}`, 'The file may be truncated or corrupt; download it again.');
  if (size < 8) throw corrupt(`it is only ${size} bytes long`);
  const lengthBytes = Buffer.alloc(8);
  await handle.read(lengthBytes, 0, 8, 0);
  const headerLength = Number(lengthBytes.readBigUInt64LE(0));
  if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
    throw corrupt(`the header length (${headerLength} bytes) does not fit in the file (${size} bytes)`);
  }
  const headerBytes = Buffer.alloc(headerLength);
  await handle.read(headerBytes, 0, headerLength, 8);
  let header: unknown;
  try {
    header = JSON.parse(headerBytes.toString('utf8'));
  } catch {
    throw corrupt('the header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw corrupt('the header is not a JSON object');
  return { header: header as Record<string, unknown>, dataOffset: 8 + headerLength };
}

function parseHeader(header: Record<string, unknown>, dataSize: number, path: string) {
  const corrupt = (why: string) =>
    new UserError(`${path} is not a valid safetensors file: ${why}`, 'The file may be truncated or corrupt; download it again.');
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof entry?.dtype !== 'string' || !(entry.dtype in BYTES_PER_ELEMENT)) {
      throw new UserError(
        `${path}: tensor ${name} has dtype ${String(entry?.dtype)}, which TuneBoard cannot read`,
        'Supported dtypes are F32, F16, BF16, I32, I64, U8 and I8.',
      );
    }
    const dtype = entry.dtype as TensorDtype;
    const shape = entry.shape;
    const offsets = entry.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw corrupt(`tensor ${name} has an invalid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      throw corrupt(`tensor ${name} has invalid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = shape.reduce((a: number, b: number) => a * b, 1) * BYTES_PER_ELEMENT[dtype];
    if (end - begin !== expected) throw corrupt(`tensor ${name} spans ${end - begin} bytes but its shape needs ${expected}`);
    if (end > dataSize) throw corrupt(`tensor ${name} ends at byte ${end} but the file holds only ${dataSize} bytes of data (truncated?)`);
    tensors.set(name, { name, dtype, shape, begin, end });
  }
  checkTiling([...tensors.values()], dataSize, corrupt);
  return { tensors, metadata };
}

/**
 * The format's rule: the tensors' data ranges tile the data area, from its first byte to its last, with no gap
 * and no overlap (two tensors sharing bytes would load as each other's values).
 */
function checkTiling(tensors: readonly TensorInfo[], dataSize: number, corrupt: (why: string) => UserError): void {
  let position = 0;
  let previous: TensorInfo | null = null;
  for (const t of [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (t.begin < position) throw corrupt(`the data of tensor ${t.name} (bytes ${t.begin}-${t.end}) overlaps tensor ${previous!.name}'s (bytes ${previous!.begin}-${previous!.end})`);
    if (t.begin > position) throw corrupt(`bytes ${position}-${t.begin} before tensor ${t.name} belong to no tensor`);
    position = t.end;
    previous = t;
  }
  if (position !== dataSize) throw corrupt(`the file holds ${dataSize - position} bytes of data after its last tensor`);
}

export interface TensorToWrite {
  readonly name: string;
  readonly dtype: TensorDtype;
  readonly shape: readonly number[];
}

/** The header bytes (length prefix included) for tensors written in the given order, padded to 8 bytes as the reference writer does. */
export function encodeHeader(tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header['__metadata__'] = metadata;
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const out = Buffer.alloc(8 + json.length);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  return out;
}

/**
 * Writes a safetensors file tensor by tensor, so a large export never holds more than one tensor's bytes.
 * Tensors must be written in the order they were declared.
 */
export class SafetensorsWriter {
  private next = 0;
  private position = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly tensors: readonly TensorToWrite[],
  ) {}

  static async create(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Promise<SafetensorsWriter> {
    const handle = await open(path, 'wx');
    const writer = new SafetensorsWriter(handle, tensors);
    await writer.append(encodeHeader(tensors, metadata));
    return writer;
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    const expected = this.tensors[this.next];
    if (!expected || expected.name !== name) throw new Error(`safetensors writer expected ${expected?.name ?? 'no more tensors'}, got ${name}`);
    const size = expected.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[expected.dtype];
    if (bytes.byteLength !== size) throw new Error(`tensor ${name}: ${bytes.byteLength} bytes given, ${size} expected`);
    await this.append(bytes);
    this.next++;
  }

  /** Flushes to disk and closes; fails if a declared tensor was never written. */
  async close(): Promise<void> {
    try {
      if (this.next !== this.tensors.length) throw new Error(`safetensors writer closed after ${this.next} of ${this.tensors.length} tensors`);
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
  }

  /** Closes without the completeness check, for a job that was cancelled or failed. */
  async abandon(): Promise<void> {
    await this.handle.close();
  }

  private async append(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.byteLength - done, this.position);
      done += bytesWritten;
      this.position += bytesWritten;
    }
  }
}

/** Writes a whole set of in-memory tensors to one file. */
export async function writeSafetensors(
  path: string,
  tensors: ReadonlyArray<TensorToWrite & { readonly bytes: Uint8Array }>,
  metadata?: Record<string, string>,
): Promise<void> {
  const writer = await SafetensorsWriter.create(path, tensors, metadata);
  try {
    for (const t of tensors) await writer.write(t.name, t.bytes);
  } catch (err) {
    await writer.abandon();
    throw err;
  }
  await writer.close();
}
