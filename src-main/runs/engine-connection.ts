/** Job bookkeeping over any EngineTransport: ids, event routing, results, and failing every pending job when the process ends. */
import { UserError } from '../engine/errors';
import { engineMessageSchema, type HostMessage, type JobEvent, type JobName, type JobParams, type JobResult } from '../protocol/engine-messages';
import { EngineProcessEnded, type EngineExit, type EngineHost, type EngineJob, type EngineTransport, type ProcessOutOfMemory } from './engine-host';
import { oomKillCount } from './oom-kills';

interface Pending {
  readonly onEvent: (event: unknown) => void;
  readonly resolve: (result: unknown) => void;
  readonly reject: (err: Error) => void;
}

/** How much of stderr is kept to explain a crash. */
const STDERR_TAIL_CHARS = 4000;
const STDERR_TAIL_LINES = 20;
/** V8's last words when its heap is full ("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"), before a native stack trace. */
const V8_HEAP_FULL = 'JavaScript heap out of memory';

export class EngineConnection implements EngineHost {
  readonly exited: Promise<EngineExit>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderr = '';
  private ended = false;
  private requested = false;
  private heapFull = false;
  /** Messages wait until the process says it is listening. */
  private queue: HostMessage[] | null = [];

  constructor(private readonly transport: EngineTransport) {
    const oomKills = oomKillCount();
    transport.onStderr((chunk) => {
      // Looked for in all of stderr: the native stack trace after it can push it out of the tail.
      this.heapFull ||= (this.stderr.slice(-V8_HEAP_FULL.length) + chunk).includes(V8_HEAP_FULL);
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL_CHARS);
    });
    transport.onMessage((raw) => this.receive(raw));
    this.exited = new Promise((resolve) => {
      transport.onExit((code, signal) => {
        this.ended = true;
        const killed = signal === 'SIGKILL' && oomKills !== null && (oomKillCount() ?? oomKills) > oomKills;
        const outOfMemory: ProcessOutOfMemory | null = this.heapFull ? 'javascript heap' : killed ? 'oom killer' : null;
        const exit: EngineExit = { code, signal, stderrTail: this.stderr.split('\n').slice(-STDERR_TAIL_LINES).join('\n'), requested: this.requested, outOfMemory };
        for (const p of this.pending.values()) p.reject(new EngineProcessEnded(exit));
        this.pending.clear();
        resolve(exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.transport.pid;
  }

  get alive(): boolean {
    return !this.ended && !this.requested;
  }

  run<J extends JobName>(job: J, params: JobParams<J>, onEvent?: (event: JobEvent<J>) => void): EngineJob<JobResult<J>> {
    const id = this.nextId++;
    const result = new Promise<JobResult<J>>((resolve, reject) => {
      if (this.ended) return reject(new UserError('the engine process has ended'));
      this.pending.set(id, { onEvent: (e) => onEvent?.(e as JobEvent<J>), resolve: (r) => resolve(r as JobResult<J>), reject });
      this.send({ kind: 'job', id, job, params });
    });
    return { id, result, cancel: () => this.pending.has(id) && this.send({ kind: 'cancel', id }) };
  }

  async close(graceMs = 10_000): Promise<EngineExit> {
    if (!this.ended && !this.requested) {
      this.requested = true;
      this.send({ kind: 'shutdown' });
      const timer = setTimeout(() => this.transport.kill(), graceMs);
      void this.exited.then(() => clearTimeout(timer));
    }
    return this.exited;
  }

  kill(): void {
    this.requested = true;
    if (!this.ended) this.transport.kill();
  }

  private send(message: HostMessage): void {
    if (this.ended) return;
    if (this.queue) this.queue.push(message);
    else this.transport.send(message);
  }

  private receive(raw: unknown): void {
    const parsed = engineMessageSchema.safeParse(raw);
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.kind === 'ready') {
      const queued = this.queue ?? [];
      this.queue = null;
      for (const m of queued) this.transport.send(m);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.kind === 'event') {
      pending.onEvent(message.event);
      return;
    }
    this.pending.delete(message.id);
    if (message.kind === 'result') pending.resolve(message.result);
    else pending.reject(new UserError(message.message));
  }
}
