#!/usr/bin/env bash
# The GPU machine's part of the precision and forecast work, as one run (see ../shared/GPU.md for carrying the
# engine there): Llama-3.1-8B QLoRA r16 at batch 1 x 1,024 with gradient checkpointing on the full shape (the
# README's goal: at most 8 GB of tensors), the same two layers at 32/16/4-bit for the speed of the dequantizing
# kernels, and the full shapes of bench/results/h100/ for the forecast beside nvidia-smi. Each line of OUT is one
# `bench --json` result; each holds the forecast (`forecast.tensorPeak`, `forecast.total`) beside the measured
# `peakTensorBytes`, `peakAllocatedBytes` and nvidia-smi's `peakMemory`.
#
#   scripts/gpu-memory-check.sh NODE ENGINE OUT     e.g. /tmp/node out/engine/tuneboard.mjs "$OUT/gpu-memory.jsonl"
set -uo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 NODE ENGINE OUT" >&2
  exit 2
fi
node=$1
engine=$2
out=$3
: >"$out"

bench() {
  echo "bench $*" >&2
  "$node" "$engine" bench --backend webgpu --steps 3 --warmup 2 --json "$@" >>"$out" || echo "failed: bench $*" >&2
}

bench --shape llama-3.1-8b --batch 1 --seq 1024 --gradient-checkpointing --quantization-bit 4
for bits in 32 16 4; do
  bench --shape llama-3.1-8b --layers 2 --batch 1 --seq 512 --gradient-checkpointing --quantization-bit "$bits"
done
for shape in qwen2.5-0.5b llama-3.2-1b; do
  bench --shape "$shape" --batch 4 --seq 512 --quantization-bit 32
  bench --shape "$shape" --batch 4 --seq 512 --quantization-bit 32 --gradient-checkpointing
done
echo "results: $out" >&2
