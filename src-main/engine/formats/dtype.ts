import { Float16Array } from '@petamoriken/float16';

/** Tensor element types of safetensors that TuneBoard reads and writes as float32/int32 values. */
export type StorageDtype = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64';
/** Byte-wide integers: the packed codes and quantized scales of bitsandbytes checkpoints, used as raw bytes. */
export type ByteDtype = 'U8' | 'I8';
/** Every dtype a safetensors file may hold for TuneBoard. */
export type TensorDtype = StorageDtype | ByteDtype;

export const BYTES_PER_ELEMENT: Record<TensorDtype, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8, U8: 1, I8: 1 };

/** The dtype names of `config.json` (`torch_dtype` / `dtype`) mapped to safetensors names. */
export const CONFIG_DTYPE: Record<string, StorageDtype> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
};

export function configDtypeName(dtype: StorageDtype): string {
  const name = Object.entries(CONFIG_DTYPE).find(([, d]) => d === dtype)?.[0];
  if (!name) throw new Error(`${dtype} is not a floating-point weight dtype`);
  return name;
}

/**
 * tfjs computes in float32 or int32, so every stored dtype is widened to one of those on load; byte dtypes
 * become int32 (their raw bytes are what quantized formats want: read them with readBytes).
 */
export function decode(dtype: TensorDtype, bytes: Uint8Array): Float32Array | Int32Array {
  const count = bytes.byteLength / BYTES_PER_ELEMENT[dtype];
  // Copy to an aligned buffer: a tensor's offset inside a file is not guaranteed to be a multiple of 4.
  const aligned = new Uint8Array(bytes).buffer;
  switch (dtype) {
    case 'U8':
      return Int32Array.from(bytes);
    case 'I8':
      return Int32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    case 'F32':
      return new Float32Array(aligned, 0, count);
    case 'I32':
      return new Int32Array(aligned, 0, count);
    case 'BF16': {
      const src = new Uint16Array(aligned, 0, count);
      const out = new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = src[i]! << 16;
      return new Float32Array(out.buffer);
    }
    case 'F16':
      return Float32Array.from(new Float16Array(aligned, 0, count));
    case 'I64': {
      const src = new BigInt64Array(aligned, 0, count);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = src[i]!;
        if (v > 2147483647n || v < -2147483648n) throw new RangeError(`int64 value ${v} does not fit in int32`);
        out[i] = Number(v);
      }
      return out;
    }
  }
}

/** Narrows float32/int32 values to the stored dtype; bfloat16 rounds to nearest even, as torch does. */
export function encode(dtype: StorageDtype, values: Float32Array | Int32Array): Uint8Array {
  switch (dtype) {
    case 'F32':
      return bytesOf(values instanceof Float32Array ? values : Float32Array.from(values));
    case 'I32':
      return bytesOf(values instanceof Int32Array ? values : Int32Array.from(values));
    case 'BF16':
      return bytesOf(toBfloat16(values instanceof Float32Array ? values : Float32Array.from(values)));
    case 'F16':
      return bytesOf(new Uint16Array(new Float16Array(values).buffer));
    case 'I64':
      return bytesOf(BigInt64Array.from(values, (v) => BigInt(Math.trunc(v))));
  }
}

export function toBfloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i]!;
    if ((b & 0x7fffffff) > 0x7f800000) {
      out[i] = 0x7fc0; // NaN stays NaN
    } else {
      out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
