/**
 * An engine process as the host sees it: start jobs, receive their events, cancel them, and learn when the
 * process ends and why. Implemented over child_process.fork (fork-engine.ts: serve mode, tests) and over
 * Electron's utilityProcess (src-main/app/utility-engine.ts); both wrap an EngineTransport in an
 * EngineConnection, so the job bookkeeping is the same code.
 */
import { UserError } from '../engine/errors';
import type { HostMessage, JobEvent, JobName, JobParams, JobResult } from '../protocol/engine-messages';

export interface EngineExit {
  readonly code: number | null;
  /** The signal that ended it (child_process only; a utility process reports an exit code). */
  readonly signal: string | null;
  /** The end of what it wrote to stderr. */
  readonly stderrTail: string;
  /** True when the host asked it to end (close or kill), false when it crashed or was killed from outside. */
  readonly requested: boolean;
  /** It died for memory: V8 found its JavaScript heap full, or the kernel's out-of-memory killer ended it. */
  readonly outOfMemory: ProcessOutOfMemory | null;
}

export type ProcessOutOfMemory = 'javascript heap' | 'oom killer';

export interface EngineJob<R> {
  readonly id: number;
  /** Resolves with the job's result; rejects with a UserError (the engine's message) or EngineProcessEnded. */
  readonly result: Promise<R>;
  /** Asks the engine to stop the job (training stops after the current step, with a checkpoint). */
  cancel(): void;
}

export interface EngineHost {
  readonly pid: number | undefined;
  readonly alive: boolean;
  run<J extends JobName>(job: J, params: JobParams<J>, onEvent?: (event: JobEvent<J>) => void): EngineJob<JobResult<J>>;
  /** Resolves once the process has ended. */
  readonly exited: Promise<EngineExit>;
  /** Asks the process to exit (cancelling its jobs); kills it when it has not after graceMs. */
  close(graceMs?: number): Promise<EngineExit>;
  kill(): void;
}

/** Starts a fresh engine process. */
export type EngineLauncher = () => EngineHost;

/** The raw line to a process, as each kind of process offers it. */
export interface EngineTransport {
  readonly pid: number | undefined;
  send(message: HostMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once, after the process ended and its output was read. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  onStderr(listener: (chunk: string) => void): void;
  kill(): void;
}

/** A job lost because its process ended before answering. */
export class EngineProcessEnded extends UserError {
  constructor(readonly exit: EngineExit) {
    super(describeExit(exit));
  }
}

/** Why a process ended, for the user: how it ended, and the last lines it wrote. */
export function describeExit(exit: EngineExit): string {
  const how = exit.signal
    ? `was killed by ${exit.signal}${exit.signal === 'SIGKILL' ? ' (out of memory, or ended from outside)' : ''}`
    : `exited with code ${exit.code}`;
  const tail = exit.stderrTail.trim();
  return `the engine process ${how}${tail ? `; its last output:\n${tail}` : ''}`;
}
