/**
 * The long-lived engine process for what the board asks between trainings: inspecting models and
 * datasets, and chat (which keeps its model loaded between replies). Started on first use and started
 * again after it ends, so a crash fails the jobs it was running and nothing else.
 */
import type { JobEvent, JobName, JobParams, JobResult } from '../protocol/engine-messages';
import type { EngineHost, EngineJob, EngineLauncher } from './engine-host';

export class InteractiveEngine {
  private engine: EngineHost | null = null;

  constructor(private readonly launch: EngineLauncher) {}

  run<J extends JobName>(job: J, params: JobParams<J>, onEvent?: (event: JobEvent<J>) => void): EngineJob<JobResult<J>> {
    if (!this.engine?.alive) this.engine = this.launch();
    return this.engine.run(job, params, onEvent);
  }

  async close(): Promise<void> {
    await this.engine?.close(5_000);
    this.engine = null;
  }
}

/** A job in an engine process of its own, ended once the job has answered (exports, backend probes). */
export function runInOwnEngine<J extends JobName>(launch: EngineLauncher, job: J, params: JobParams<J>, onEvent?: (event: JobEvent<J>) => void): EngineJob<JobResult<J>> {
  const engine = launch();
  const running = engine.run(job, params, onEvent);
  void running.result.catch(() => {}).finally(() => engine.close());
  return running;
}
