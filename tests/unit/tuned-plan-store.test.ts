/** Tuned GEMM plans kept between runs: per adapter and kernel revision, other entries kept, a bad file set aside. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { candidatePlans, planLabel } from '../../src-main/engine/ops/gemm/gemm-plan';
import { setTunedPlan, storedPlan, tunedPlan, type StoredPlan } from '../../src-main/engine/ops/gemm/tuned-plans';
import { TUNED_PLANS_FILE, TunedPlanStore } from '../../src-main/engine/ops/gemm/tuned-plan-store';

const file = () => join(mkdtempSync(join(tmpdir(), 'tb-plans-')), 'cache', TUNED_PLANS_FILE);
const shape = { batch: 1, m: 2048, n: 896, k: 4864, transposeA: false, transposeB: false };
// A plan other than the rule's, with a staging of its own: what a tuning may keep.
const tuned = { ...candidatePlans(shape).find((p) => p.split === 4)!, depth: 32, loadOrder: 'rows' } as const;

test('plans saved for one adapter and kernel revision are put back in use for those only; other adapters are kept', async () => {
  const path = file();
  setTunedPlan('A', tuned);
  await new TunedPlanStore(path, 'GPU one · driver 1', 'rev1').save();
  await new TunedPlanStore(path, 'GPU two · driver 7', 'rev1').save();
  const contents = JSON.parse(readFileSync(path, 'utf8'));
  expect(Object.keys(contents.adapters)).toEqual(['GPU one · driver 1', 'GPU two · driver 7']);
  expect(contents.adapters['GPU one · driver 1']).toMatchObject({ revision: 'rev1', plans: { A: storedPlan(tuned) } });

  // Another run: the file's plans for this adapter become the tuned plans.
  const stored: StoredPlan = { ...storedPlan(tuned), depth: 8 };
  contents.adapters['GPU one · driver 1'].plans = { B: stored };
  writeFileSync(path, JSON.stringify(contents));
  expect(await new TunedPlanStore(path, 'GPU one · driver 1', 'rev1').restore()).toEqual({ plans: 1, problem: null });
  expect(planLabel(tunedPlan('B')!)).toBe(planLabel(tuned).replace('32 deep', '8 deep'));
  // Another driver or kernel revision: nothing.
  expect(await new TunedPlanStore(path, 'GPU one · driver 2', 'rev1').restore()).toEqual({ plans: 0, problem: null });
  expect(await new TunedPlanStore(path, 'GPU one · driver 1', 'rev2').restore()).toEqual({ plans: 0, problem: null });
  // No file yet: nothing, and no problem.
  expect(await new TunedPlanStore(file(), 'GPU one · driver 1', 'rev1').restore()).toEqual({ plans: 0, problem: null });
});

test('a file that cannot be read is named with what is wrong, used for nothing, and rewritten on save', async () => {
  const path = file();
  await new TunedPlanStore(path, 'GPU', 'rev1').save();
  const contents = JSON.parse(readFileSync(path, 'utf8'));
  contents.adapters.GPU.plans.X = { ...storedPlan(tuned), depth: 12 };
  writeFileSync(path, JSON.stringify(contents));
  const store = new TunedPlanStore(path, 'GPU', 'rev1');
  const restored = await store.restore();
  expect(restored.plans).toBe(0);
  expect(restored.problem).toContain(`${path}: adapters.GPU.plans.X.depth:`);
  writeFileSync(path, '{"format": 1, "adapters": ');
  expect((await store.restore()).problem).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*JSON`));
  await store.save();
  expect(await store.restore()).toMatchObject({ problem: null });
  expect(tunedPlan('X')).toBeUndefined();
});
