/**
 * GEMM plans tuned for a GPU, kept between runs: tuning takes seconds to a minute, and what it measured holds
 * for as long as the GPU, its driver and the GEMM kernel do. One JSON file in the cache folder, plans kept per
 * adapter (driver version included) with the kernel's revision: plans of another revision are not reused.
 * A stored plan only says which plan to run (planFor still checks that it fits the device, and every plan
 * computes the same product), so a stale file costs speed, never correctness; an unreadable one is set aside
 * with a warning and rewritten.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { webgpuAdapterIdentity } from '../../backend/webgpu-device';
import { cacheDir } from '../../cache-dir';
import { writeFileAtomic } from '../../atomic-files';
import { planFromStored, setTunedPlan, storedPlan, tunedPlanEntries, type StoredPlan } from './tuned-plans';
import { gemmRevision } from './gemm-webgpu';

export const TUNED_PLANS_FILE = 'gemm-plans.json';

const block = z.union([z.literal(128), z.literal(64), z.literal(16)]);
const storedPlanSchema = z.object({
  m: block,
  n: block,
  split: z.number().int().positive(),
  kChunk: z.number().int().positive(),
  buffers: z.union([z.literal(1), z.literal(2)]),
  depth: z.union([z.literal(8), z.literal(16), z.literal(32)]),
  loadOrder: z.enum(['k', 'rows']),
}) satisfies z.ZodType<StoredPlan>;

const fileSchema = z.object({
  format: z.literal(1),
  /** By adapter: the kernel revision the plans were tuned for, and the plans by productKey. */
  adapters: z.record(z.string(), z.object({ revision: z.string(), plans: z.record(z.string(), storedPlanSchema) })),
});
type TunedPlansFile = z.infer<typeof fileSchema>;

export interface RestoredPlans {
  /** Plans now in use from the file. */
  plans: number;
  /** What was wrong with the file, in words, when it could not be read (it is then rewritten on save). */
  problem: string | null;
}

export class TunedPlanStore {
  constructor(
    readonly file: string,
    private readonly adapter: string,
    private readonly revision: string,
  ) {}

  /** Puts this adapter's stored plans of this kernel revision in use. */
  async restore(): Promise<RestoredPlans> {
    const read = await this.read();
    if ('problem' in read) return { plans: 0, problem: read.problem };
    const entry = read.contents?.adapters[this.adapter];
    if (!entry || entry.revision !== this.revision) return { plans: 0, problem: null };
    for (const [key, p] of Object.entries(entry.plans)) setTunedPlan(key, planFromStored(p));
    return { plans: Object.keys(entry.plans).length, problem: null };
  }

  /** Writes every plan in use for this adapter, keeping other adapters' entries (another GPU, another process). */
  async save(): Promise<void> {
    const read = await this.read();
    const contents: TunedPlansFile = ('contents' in read && read.contents) || { format: 1, adapters: {} };
    const plans = Object.fromEntries(tunedPlanEntries().map(([key, p]) => [key, storedPlan(p)]));
    contents.adapters[this.adapter] = { revision: this.revision, plans };
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify(contents, null, 1)}\n`);
  }

  private async read(): Promise<{ contents: TunedPlansFile | null } | { problem: string }> {
    if (!existsSync(this.file)) return { contents: null };
    try {
      const parsed = fileSchema.safeParse(JSON.parse(await readFile(this.file, 'utf8')));
      if (parsed.success) return { contents: parsed.data };
      const issue = parsed.error.issues[0]!;
      return { problem: `${this.file}: ${issue.path.join('.') || 'top level'}: ${issue.message}` };
    } catch (err) {
      return { problem: `${this.file}: ${(err as Error).message}` };
    }
  }
}

/** The store of the webgpu adapter in use, in the cache folder; null before webgpu has started. */
export function tunedPlanStore(): TunedPlanStore | null {
  const adapter = webgpuAdapterIdentity();
  return adapter ? new TunedPlanStore(join(cacheDir(), TUNED_PLANS_FILE), adapter, gemmRevision()) : null;
}
