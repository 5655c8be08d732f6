/** Records the host's board events and waits for one that matches. */
import type { BoardEvents, EventName } from '../../src-main/protocol/board-api';
import type { EventSink } from '../../src-main/runs/event-sink';

type Recorded = { event: EventName; payload: unknown };

export class EventLog {
  readonly events: Recorded[] = [];
  private waiters: Array<{ test: (r: Recorded) => boolean; resolve: (payload: unknown) => void }> = [];

  readonly sink: EventSink = (event, payload) => {
    const r = { event, payload };
    this.events.push(r);
    for (const w of [...this.waiters]) {
      if (w.test(r)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(payload);
      }
    }
  };

  of<E extends EventName>(event: E): Array<BoardEvents[E]> {
    return this.events.filter((r) => r.event === event).map((r) => r.payload as BoardEvents[E]);
  }

  /** The first event (already seen, or still to come) that matches. */
  waitFor<E extends EventName>(event: E, match: (payload: BoardEvents[E]) => boolean = () => true, timeoutMs = 90_000): Promise<BoardEvents[E]> {
    const test = (r: Recorded) => r.event === event && match(r.payload as BoardEvents[E]);
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen.payload as BoardEvents[E]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} event matched within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ test, resolve: (p) => (clearTimeout(timer), resolve(p as BoardEvents[E])) });
    });
  }
}
