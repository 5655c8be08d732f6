/**
 * What the board needs from a transport: the protocol's BoardClient, plus whether the host is reachable
 * (the WebSocket can drop and come back; IPC is always up).
 */
import type { BoardClient } from '../../src-main/protocol/board-api';

export interface BoardConnection extends BoardClient {
  readonly transport: 'ipc' | 'websocket';
  /** Called with true whenever the host becomes reachable (again), false when it is lost. Returns the remover. */
  onConnection(listener: (connected: boolean) => void): () => void;
}

/** A failed command: `message` is the host's text for the user, never a stack trace. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
}
