/** Board commands over Electron IPC (one handler per command, all through the router) and host events to the window. */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { commandParams } from '../protocol/board-api';
import { EVENT_CHANNEL, invokeChannel } from '../protocol/ipc-channels';
import type { CommandRouter } from '../runs/command-router';
import type { EventSink } from '../runs/event-sink';

/** The board as IPC sees it: the window's web contents (null while it has none) and the page it loads. */
export interface BoardPage {
  readonly webContents: () => WebContents | null;
  readonly pageUrl: string;
}

export function handleCommands(router: CommandRouter, board: BoardPage): void {
  for (const command of Object.keys(commandParams)) {
    ipcMain.handle(invokeChannel(command), (event, params: unknown) =>
      sentByBoard(event, board) ? router.handle(command, params) : { ok: false, error: { message: 'only the board may send commands' } },
    );
  }
}

/**
 * The board's web contents is not enough: a frame inside it, or its main frame after navigating elsewhere,
 * shares it. Only the main frame (no parent) showing the board's own page may send.
 */
function sentByBoard(event: IpcMainInvokeEvent, board: BoardPage): boolean {
  const contents = board.webContents();
  const frame = event.senderFrame;
  return contents !== null && event.sender === contents && frame !== null && frame.parent === null && samePage(frame.url, board.pageUrl);
}

/** The same document, whatever its #fragment (the board's tabs). */
function samePage(url: string, page: string): boolean {
  try {
    const [a, b] = [new URL(url), new URL(page)];
    a.hash = '';
    b.hash = '';
    return a.href === b.href;
  } catch {
    return false;
  }
}

export function windowEvents(window: () => BrowserWindow | null): EventSink {
  return (event, payload) => {
    const target = window();
    if (target && !target.isDestroyed()) target.webContents.send(EVENT_CHANNEL, event, payload);
  };
}
