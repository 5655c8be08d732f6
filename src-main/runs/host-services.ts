/** What only some hosts can do: native dialogs and showing a file in the system's file manager (Electron), not serve mode. */
import type { CommandParams, CommandResults } from '../protocol/board-api';

export interface HostServices {
  readonly transport: 'ipc' | 'websocket';
  readonly nativeDialogs: boolean;
  pick(params: CommandParams<'dialog:pick'>): Promise<CommandResults['dialog:pick']>;
  show(path: string): Promise<CommandResults['shell:show']>;
}

/** Serve mode: the board runs in a browser that may be on another machine; it uses its own file browser (fs:list). */
export const websocketServices: HostServices = {
  transport: 'websocket',
  nativeDialogs: false,
  pick: async () => ({ available: false, path: null }),
  show: async () => ({ ok: false }),
};
