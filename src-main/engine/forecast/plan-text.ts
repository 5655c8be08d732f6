/** A plan in words, for `tuneboard plan` and the message of a run that ran out of memory (the board words its own, translated). */
import { formatBytes, roughDuration } from '../../protocol/quantities';
import { FORECAST_TERMS, type DeviceMemory, type PlanChanges, type PlanFix, type RunPlan, type Verdict } from '../../protocol/run-plan';

const VERDICT_WORDS: Record<Verdict, string> = { fits: 'fits', tight: 'tight: it may not fit', 'will-not-fit': 'will not fit', unknown: "the device's memory is unknown" };
const DEVICE_SOURCES: Record<DeviceMemory['source'], string> = {
  'nvidia-smi': 'nvidia-smi',
  'amd-sysfs': "the AMD driver's mem_info_vram_total",
  'unified-memory': 'unified memory: the system total',
  'wasm-heap': "the wasm heap's limit",
  'free-ram': 'free RAM',
  user: 'as you said',
};
const FIX_WORDS: Record<PlanFix['kind'], string> = {
  '4-bit': '4-bit base model (QLoRA)',
  'gradient-checkpointing': 'gradient checkpointing',
  'smaller-batch': 'smaller batch, more gradient accumulation (same effective batch)',
  'shorter-cutoff': 'shorter cutoff',
  'lower-rank': 'lower LoRA rank',
  together: 'these together',
};

export function describePlan(plan: RunPlan): string[] {
  const m = plan.memory;
  const parts = FORECAST_TERMS.filter((t) => m.terms[t] > 0).map((t) => `${t} ${formatBytes(m.terms[t])}`);
  const device = plan.device ? ` of ${formatBytes(plan.device.bytes)} (${DEVICE_SOURCES[plan.device.source]})` : '';
  const lines = [
    `memory: ${formatBytes(m.total)}${device}: ${VERDICT_WORDS[plan.verdict]}`,
    `  at the peak (${m.moment}, batch ${plan.batch} x ${plan.seq} tokens): ${parts.join(', ')}`,
  ];
  if (plan.time) lines.push(`time: ${aboutDuration(plan.time.seconds)} (${plan.time.steps} steps of ${Math.round(plan.time.tokensPerStep)} tokens at ${Math.round(plan.time.tokensPerSecond)} tokens/s, from ${plan.time.source === 'probe' ? 'the speed probe' : 'a run of this model'})`);
  else if (plan.steps !== null) lines.push(`time: ${plan.steps} steps; the speed is not known yet (--probe measures it in about ten seconds)`);
  if (plan.fixes.length) lines.push('to make it fit:', ...plan.fixes.map((f) => `  ${describeFix(f)}`));
  return lines;
}

/** "gradient checkpointing (gradient_checkpointing: true): 5.10 GB, fits"; `bytes`: the figure its verdict was judged by. */
export function describeFix(f: PlanFix, bytes = f.memory.total): string {
  const truncates = f.truncates ? `, truncates ${f.truncates} more example(s)` : '';
  return `${FIX_WORDS[f.kind]} (${changesText(f.changes)}): ${formatBytes(bytes)}, ${VERDICT_WORDS[f.verdict]}${truncates}`;
}

/** As config keys: "per_device_train_batch_size: 2, gradient_accumulation_steps: 4". */
export function changesText(changes: PlanChanges): string {
  return Object.entries(changes)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(', ');
}

export function aboutDuration(seconds: number): string {
  const { value, unit } = roughDuration(seconds);
  return `about ${value} ${value === 1 ? unit.slice(0, -1) : unit}`;
}
