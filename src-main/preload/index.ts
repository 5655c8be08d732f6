/**
 * The only bridge between the sandboxed board and the main process: `window.tuneboard`, exactly the
 * BoardClient interface (invoke a command, listen to an event). Nothing else of Electron or Node is exposed.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { BoardClient, BoardEvents, CommandError, EventName } from '../protocol/board-api';
import { EVENT_CHANNEL, invokeChannel } from '../protocol/ipc-channels';

type Outcome = { ok: true; result: unknown } | { ok: false; error: CommandError };

const listeners = new Map<string, Set<(payload: unknown) => void>>();

ipcRenderer.on(EVENT_CHANNEL, (_event, name: string, payload: unknown) => {
  for (const listener of listeners.get(name) ?? []) listener(payload);
});

const client: BoardClient = {
  async invoke(command, params) {
    let outcome: Outcome;
    try {
      outcome = (await ipcRenderer.invoke(invokeChannel(command), params)) as Outcome;
    } catch {
      // Only a command the main process does not know gets here (no handler for its channel).
      throw new Error(`unknown command "${String(command)}"`);
    }
    if (!outcome.ok) throw new Error(outcome.error.message);
    return outcome.result as never;
  },
  on<E extends EventName>(event: E, listener: (payload: BoardEvents[E]) => void) {
    const set = listeners.get(event) ?? new Set();
    listeners.set(event, set);
    const wrapped = (payload: unknown) => listener(payload as BoardEvents[E]);
    set.add(wrapped);
    return () => {
      set.delete(wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('tuneboard', client);
