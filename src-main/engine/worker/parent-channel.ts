/**
 * The engine process's line to its host: `process.parentPort` in an Electron utility process, the Node IPC
 * channel (`process.send` / 'message') under child_process.fork. No Electron import: parentPort is a
 * property Electron adds to `process`.
 */
import { UserError } from '../errors';
import type { EngineMessage } from '../../protocol/engine-messages';

export interface ParentChannel {
  send(message: EngineMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** The host went away (fork's IPC channel closed); never fires for a utility process, which Electron ends with its parent. */
  onClose(listener: () => void): void;
}

interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

export function parentChannel(): ParentChannel {
  const port = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (port) {
    return {
      send: (message) => port.postMessage(message),
      onMessage: (listener) => port.on('message', (event) => listener(event.data)),
      onClose: () => {},
    };
  }
  if (process.send) {
    return {
      send: (message) => {
        if (process.connected) process.send!(message);
      },
      onMessage: (listener) => process.on('message', listener),
      onClose: (listener) => process.on('disconnect', listener),
    };
  }
  throw new UserError('engine-worker is the engine process of the board; it is started by TuneBoard (npm start or tuneboard serve), not by hand');
}
