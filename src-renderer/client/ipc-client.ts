/** The Electron transport: the preload exposes `window.tuneboard` with exactly the BoardClient shape. */
import type { BoardClient, BoardEvents, CommandName, CommandParams, CommandResults, EventName } from '../../src-main/protocol/board-api';
import { CommandFailure, type BoardConnection } from './board-connection';

declare global {
  interface Window {
    tuneboard?: BoardClient;
  }
}

/** Electron wraps errors thrown in the main process as "Error invoking remote method 'x': Error: message". */
const REMOTE_PREFIX = /^Error invoking remote method '[^']*': (?:\w*Error: )?/;

export class IpcClient implements BoardConnection {
  readonly transport = 'ipc';

  constructor(private readonly bridge: BoardClient) {}

  async invoke<C extends CommandName>(command: C, params: CommandParams<C>): Promise<CommandResults[C]> {
    try {
      return await this.bridge.invoke(command, params);
    } catch (err) {
      const message = err instanceof Error ? err.message : typeof err === 'object' && err && 'message' in err ? String(err.message) : String(err);
      throw new CommandFailure(message.replace(REMOTE_PREFIX, ''));
    }
  }

  on<E extends EventName>(event: E, listener: (payload: BoardEvents[E]) => void): () => void {
    return this.bridge.on(event, listener);
  }

  onConnection(listener: (connected: boolean) => void): () => void {
    listener(true);
    return () => {};
  }
}
