/**
 * Answers backend:probe with one engine process probing at a time, whoever asks: concurrent requests for a
 * backend share one probe, requests for another wait their turn, and an answer is reused for a few seconds
 * (a board that reloads, or a script that asks in a loop, starts no process per request).
 */
import type { BackendChoice, BackendReport } from '../protocol/engine-types';
import type { EngineLauncher } from './engine-host';

/** How long an answer is reused: long enough to absorb a burst, short enough to see a device come or go. */
const ANSWER_FRESH_MS = 5_000;

interface Probe {
  readonly report: Promise<BackendReport>;
  /** When it answered; null while it runs. */
  answeredAt: number | null;
}

export class BackendProber {
  private readonly probes = new Map<BackendChoice, Probe>();
  /** Settles once the engine process of the last probe started has ended: the next one starts then. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly launch: EngineLauncher,
    private readonly freshMs = ANSWER_FRESH_MS,
  ) {}

  probe(backend: BackendChoice): Promise<BackendReport> {
    const known = this.probes.get(backend);
    if (known && (known.answeredAt === null || Date.now() - known.answeredAt < this.freshMs)) return known.report;
    const started = this.turn.then(() => {
      const engine = this.launch();
      const result = engine.run('backend:probe', { backend }).result;
      return { result, ended: result.catch(() => {}).then(() => engine.close()) };
    });
    this.turn = started.then(
      (s) => s.ended,
      () => {},
    );
    const probe: Probe = { report: started.then((s) => s.result), answeredAt: null };
    this.probes.set(backend, probe);
    // A failed probe is not kept: the next request tries again.
    probe.report.then(
      () => (probe.answeredAt = Date.now()),
      () => this.probes.get(backend) === probe && this.probes.delete(backend),
    );
    return probe.report;
  }
}
