import type { BoardEvents, EventName } from '../protocol/board-api';

/** Where the host's events go: every connected board (one Electron window, or every WebSocket). */
export type EventSink = <E extends EventName>(event: E, payload: BoardEvents[E]) => void;
