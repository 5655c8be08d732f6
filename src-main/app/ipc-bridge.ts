/** Board commands over Electron IPC (one handler per command, all through the router) and host events to the window. */
import { ipcMain, type BrowserWindow, type WebContents } from 'electron';
import { commandParams } from '../protocol/board-api';
import { EVENT_CHANNEL, invokeChannel } from '../protocol/ipc-channels';
import type { CommandRouter } from '../runs/command-router';
import type { EventSink } from '../runs/event-sink';

/** `isBoard` tells the board's own web contents from anything else that might send. */
export function handleCommands(router: CommandRouter, isBoard: (sender: WebContents) => boolean): void {
  for (const command of Object.keys(commandParams)) {
    ipcMain.handle(invokeChannel(command), (event, params: unknown) =>
      isBoard(event.sender) ? router.handle(command, params) : { ok: false, error: { message: 'only the board may send commands' } },
    );
  }
}

export function windowEvents(window: () => BrowserWindow | null): EventSink {
  return (event, payload) => {
    const target = window();
    if (target && !target.isDestroyed()) target.webContents.send(EVENT_CHANNEL, event, payload);
  };
}
