/**
 * Matrix products tuned for the GPU while training (gemm-tuning.ts): plans an earlier run tuned on this GPU are
 * put back in use first (tuned-plan-store.ts); after the first step, all of its products not tuned yet; after
 * later ones, those seen in two steps or more (sequence lengths vary between batches), while tuning has taken
 * at most a tenth of the run's time. What is tuned is saved for the next run. TUNEBOARD_GEMM_TUNING=off keeps
 * the built-in rule.
 */
import type { TrainEvent } from '../../protocol/engine-types';
import { GemmTuner, tuningSummary, UNTUNED_NOTE } from '../ops/gemm/gemm-tuning';
import { tunedPlanStore, type TunedPlanStore } from '../ops/gemm/tuned-plan-store';
import { canTimePrograms, onWebgpu } from '../ops/webgpu-kernel';

type Emit = (event: TrainEvent) => void;

export class TrainingTuning {
  private constructor(
    private readonly tuner: GemmTuner,
    private readonly store: TunedPlanStore | null,
    private readonly emit: Emit,
  ) {}

  /** Null where nothing is tuned: off the webgpu backend, or turned off. */
  static async start(emit: Emit): Promise<TrainingTuning | null> {
    if (!onWebgpu() || process.env['TUNEBOARD_GEMM_TUNING'] === 'off') return null;
    if (!canTimePrograms()) {
      emit({ type: 'log', level: 'info', message: UNTUNED_NOTE });
      return null;
    }
    const store = tunedPlanStore();
    const restored = await store?.restore();
    if (restored?.problem) emit({ type: 'log', level: 'warn', message: `tuned matrix-product plans not read (${restored.problem}): they are tuned again and the file rewritten` });
    if (restored?.plans) emit({ type: 'log', level: 'info', message: `${restored.plans} matrix-product plans tuned for this GPU by an earlier run, from ${store!.file}` });
    return new TrainingTuning(new GemmTuner(), store, emit);
  }

  /** Seconds spent tuning in this run. */
  get seconds(): number {
    return this.tuner.seconds;
  }

  /** Runs a step, noting its products. */
  watch<T>(step: () => Promise<T>): Promise<T> {
    return this.tuner.watch(step);
  }

  /** Tunes what is due after a step (`first`: the run's first); returns the seconds it took. */
  async afterStep(first: boolean, elapsedSeconds: number): Promise<number> {
    if (!first && this.tuner.seconds > 0.1 * elapsedSeconds) return 0;
    // Tuning takes seconds to a minute with no step done meanwhile: say so, or the run looks stuck.
    const report = await this.tuner.tune(first ? 1 : 2, (due) => {
      this.emit({ type: 'log', level: 'info', message: `tuning ${due} matrix products for this GPU (once: the plans are kept for later runs)` });
    });
    if (!report?.products.length) return report?.seconds ?? 0;
    this.emit({ type: 'log', level: 'info', message: tuningSummary(report) });
    await this.store?.save().catch((err: Error) => {
      this.emit({ type: 'log', level: 'warn', message: `tuned matrix-product plans not saved to ${this.store!.file} (${err.message}): the next run tunes them again` });
    });
    return report.seconds;
  }
}
