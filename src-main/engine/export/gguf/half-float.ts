/**
 * IEEE half-precision scalars as ggml stores block scales (`ggml_fp16_t`): round to nearest even, as
 * GGML_FP32_TO_FP16 does for every finite value.
 */
import { getFloat16, setFloat16 } from '@petamoriken/float16';

const view = new DataView(new ArrayBuffer(2));

export function halfBits(value: number): number {
  setFloat16(view, 0, value, true);
  return view.getUint16(0, true);
}

export function halfValue(bits: number): number {
  view.setUint16(0, bits, true);
  return getFloat16(view, 0, true);
}
