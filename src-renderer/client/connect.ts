/** Picks the transport at startup: Electron's preload bridge when present, else serve mode's WebSocket. */
import type { BoardConnection } from './board-connection';
import { IpcClient } from './ipc-client';
import { WebSocketClient } from './websocket-client';

export function connectToHost(): BoardConnection {
  if (window.tuneboard && typeof window.tuneboard.invoke === 'function') return new IpcClient(window.tuneboard);
  return new WebSocketClient(WebSocketClient.urlFor(window.location));
}
