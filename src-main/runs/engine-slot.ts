/** One job of a kind at a time (a chat reply, an export), cancellable without knowing its id. */
import { UserError } from '../engine/errors';
import type { EngineJob } from './engine-host';

export class EngineSlot {
  private current: EngineJob<unknown> | null = null;

  constructor(private readonly busy: string) {}

  async run<R>(start: () => EngineJob<R>): Promise<R> {
    if (this.current) throw new UserError(this.busy);
    const job = start();
    this.current = job;
    try {
      return await job.result;
    } finally {
      this.current = null;
    }
  }

  cancel(): void {
    this.current?.cancel();
  }
}
