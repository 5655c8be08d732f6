/**
 * The serve-mode transport: one WebSocket to `/ws` on the page's own host (with the page's `?token=`),
 * carrying ClientFrame/ServerFrame JSON. Commands sent while (re)connecting wait for the socket; a lost
 * connection fails the commands in flight and is retried with a growing delay.
 */
import type { BoardEvents, ClientFrame, CommandName, CommandParams, CommandResults, EventName, ServerFrame } from '../../src-main/protocol/board-api';
import { CommandFailure, type BoardConnection } from './board-connection';

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

export class WebSocketClient implements BoardConnection {
  readonly transport = 'websocket';
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly queue: ClientFrame[] = [];
  private readonly listeners = new Map<EventName, Set<(payload: never) => void>>();
  private readonly connectionListeners = new Set<(connected: boolean) => void>();
  private connected = false;
  private retryDelay = 500;

  constructor(private readonly url: string) {
    this.open();
  }

  /** `ws(s)://<host>/ws`, with `?token=` from the page URL when it has one. */
  static urlFor(location: Location): string {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const token = new URLSearchParams(location.search).get('token');
    return `${scheme}//${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  }

  invoke<C extends CommandName>(command: C, params: CommandParams<C>): Promise<CommandResults[C]> {
    const frame: ClientFrame = { kind: 'invoke', id: this.nextId++, command, params };
    return new Promise<CommandResults[C]>((resolve, reject) => {
      this.pending.set(frame.id, { resolve: resolve as (value: unknown) => void, reject });
      if (this.connected && this.socket) this.socket.send(JSON.stringify(frame));
      else this.queue.push(frame);
    });
  }

  on<E extends EventName>(event: E, listener: (payload: BoardEvents[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const entry = listener as (payload: never) => void;
    set.add(entry);
    return () => set.delete(entry);
  }

  onConnection(listener: (connected: boolean) => void): () => void {
    this.connectionListeners.add(listener);
    if (this.connected) listener(true);
    return () => this.connectionListeners.delete(listener);
  }

  private open(): void {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.connected = true;
      this.retryDelay = 500;
      for (const frame of this.queue.splice(0)) socket.send(JSON.stringify(frame));
      for (const l of this.connectionListeners) l(true);
    };
    socket.onmessage = (message) => this.receive(String(message.data));
    socket.onclose = () => {
      const wasConnected = this.connected;
      this.connected = false;
      this.socket = null;
      for (const [id, p] of this.pending) {
        if (this.queue.some((f) => f.id === id)) continue;
        p.reject(new CommandFailure('The connection to TuneBoard was lost. Check that `tuneboard serve` is still running.'));
        this.pending.delete(id);
      }
      if (wasConnected) for (const l of this.connectionListeners) l(false);
      setTimeout(() => this.open(), this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, 5000);
    };
  }

  private receive(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    if (frame.kind === 'event') {
      for (const l of this.listeners.get(frame.event) ?? []) l(frame.payload as never);
      return;
    }
    const p = this.pending.get(frame.id);
    if (!p) return;
    this.pending.delete(frame.id);
    if (frame.ok) p.resolve(frame.result);
    else p.reject(new CommandFailure(frame.error.message));
  }
}
