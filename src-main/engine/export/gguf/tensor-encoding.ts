/** Float32 values to the bytes of a ggml type, and back (the way back is for checks). */
import { decode, encode } from '../../formats/dtype';
import type { GgmlType } from './ggml-types';
import { dequantizeQ4_K, quantizeQ4_K } from './quant-q4-k';
import { dequantizeQ5_0, quantizeQ5_0 } from './quant-q5-0';
import { dequantizeQ6_K, quantizeQ6_K } from './quant-q6-k';
import { dequantizeQ8_0, quantizeQ8_0 } from './quant-q8-0';

export function encodeTensor(type: GgmlType, values: Float32Array): Uint8Array {
  switch (type) {
    case 'F32':
    case 'F16':
    case 'BF16':
      return encode(type, values);
    case 'Q8_0':
      return quantizeQ8_0(values);
    case 'Q5_0':
      return quantizeQ5_0(values);
    case 'Q4_K':
      return quantizeQ4_K(values);
    case 'Q6_K':
      return quantizeQ6_K(values);
  }
}

export function decodeTensor(type: GgmlType, bytes: Uint8Array): Float32Array {
  switch (type) {
    case 'F32':
    case 'F16':
    case 'BF16':
      return decode(type, bytes) as Float32Array;
    case 'Q8_0':
      return dequantizeQ8_0(bytes);
    case 'Q5_0':
      return dequantizeQ5_0(bytes);
    case 'Q4_K':
      return dequantizeQ4_K(bytes);
    case 'Q6_K':
      return dequantizeQ6_K(bytes);
  }
}
