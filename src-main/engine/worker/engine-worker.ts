/**
 * The engine process: receives jobs from its host, runs them, streams their events and answers each with a
 * result or a user-facing error. Several jobs may be in flight (inspecting while a chat runs); each has its
 * own AbortController for cancel. Resolves when the host asks it to shut down or goes away.
 */
import { hostMessageSchema, type EngineMessage, type JobName } from '../../protocol/engine-messages';
import { releasePooledMemory } from '../backend/buffer-pool';
import { describeError, UserError } from '../errors';
import { releaseChatModel } from './chat-model';
import { jobHandlers, type JobContext } from './job-handlers';
import { parentChannel } from './parent-channel';

export function runEngineWorker(): Promise<void> {
  const channel = parentChannel();
  // Ctrl-C in a terminal reaches the whole process group: the host decides (stop the training with a checkpoint, then shut us down).
  process.on('SIGINT', () => {});
  const running = new Map<number, Promise<void>>();
  const controllers = new Map<number, AbortController>();
  const send = (message: EngineMessage) => channel.send(message);

  const start = (id: number, job: JobName, params: unknown) => {
    const controller = new AbortController();
    controllers.set(id, controller);
    const context: JobContext<JobName> = { emit: (event) => send({ kind: 'event', id, event }), signal: controller.signal };
    const handler = jobHandlers[job] as (params: unknown, context: JobContext<JobName>) => Promise<unknown>;
    const done = handler(params, context).then(
      (result) => send({ kind: 'result', id, result }),
      (err) => {
        if (!(err instanceof UserError) && process.env['TUNEBOARD_DEBUG']) process.stderr.write(`${(err as Error).stack}\n`);
        send({ kind: 'error', id, message: describeError(err) });
      },
    );
    running.set(
      id,
      done.finally(() => {
        running.delete(id);
        controllers.delete(id);
        if (running.size === 0) releasePooledMemory();
      }),
    );
  };

  return new Promise((resolve) => {
    let closing = false;
    const shutdown = async () => {
      if (closing) return;
      closing = true;
      for (const c of controllers.values()) c.abort();
      await Promise.allSettled(running.values());
      releaseChatModel();
      resolve();
    };
    channel.onMessage((raw) => {
      const parsed = hostMessageSchema.safeParse(raw);
      if (!parsed.success) {
        process.stderr.write(`engine-worker: ignored a malformed message: ${JSON.stringify(raw)?.slice(0, 200)}\n`);
        return;
      }
      const message = parsed.data;
      if (message.kind === 'job') {
        if (closing || running.has(message.id)) send({ kind: 'error', id: message.id, message: closing ? 'the engine is shutting down' : `job ${message.id} is already running` });
        else start(message.id, message.job, message.params);
      } else if (message.kind === 'cancel') {
        controllers.get(message.id)?.abort();
      } else {
        void shutdown();
      }
    });
    channel.onClose(() => void shutdown());
    send({ kind: 'ready', pid: process.pid });
  });
}
