/**
 * Hugging Face tensor names to llama.cpp's (gguf-py tensor_mapping.py, for the llama and qwen2 architectures),
 * and the q/k row order llama.cpp's llama architecture expects.
 */
import { UserError } from '../../errors';

const TOP_LEVEL: Record<string, string> = {
  'model.embed_tokens.weight': 'token_embd.weight',
  'model.norm.weight': 'output_norm.weight',
  'lm_head.weight': 'output.weight',
};

const IN_BLOCK: Record<string, string> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.q_proj.bias': 'attn_q.bias',
  'self_attn.k_proj.weight': 'attn_k.weight',
  'self_attn.k_proj.bias': 'attn_k.bias',
  'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.v_proj.bias': 'attn_v.bias',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'self_attn.o_proj.bias': 'attn_output.bias',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.gate_proj.bias': 'ffn_gate.bias',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.up_proj.bias': 'ffn_up.bias',
  'mlp.down_proj.weight': 'ffn_down.weight',
  'mlp.down_proj.bias': 'ffn_down.bias',
};

/** The GGUF name of a Hugging Face tensor; refuses a tensor convert_hf_to_gguf could not map either. */
export function ggufTensorName(hfName: string, source: string): string {
  const top = TOP_LEVEL[hfName];
  if (top) return top;
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hfName);
  const inBlock = m && IN_BLOCK[m[2]!];
  if (m && inBlock) return `blk.${m[1]}.${inBlock}`;
  throw new UserError(`${source}: tensor ${hfName} has no llama.cpp counterpart, so the model cannot be written as GGUF`, 'GGUF export covers plain Llama, Mistral and Qwen2 decoder weights.');
}

/** The block number of a GGUF tensor name, or -1 for the ones outside the blocks (llama.cpp's weight_name_comparer). */
export function blockOf(ggufName: string): number {
  const m = /^blk\.(\d+)\./.exec(ggufName);
  return m ? Number(m[1]) : -1;
}

/**
 * convert_hf_to_gguf's LlamaModel.permute: within each head the rows of q (or k) go from Hugging Face's
 * "first halves, then second halves" rotary layout to llama.cpp's interleaved pairs.
 * `values` holds `rows` rows of `cols` values (cols 1 for a bias).
 */
export function permuteRotary(values: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  const perHead = rows / heads;
  const half = perHead / 2;
  const out = new Float32Array(values.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const to = (h * perHead + i * 2 + j) * cols;
        const from = (h * perHead + j * half + i) * cols;
        out.set(values.subarray(from, from + cols), to);
      }
    }
  }
  return out;
}
