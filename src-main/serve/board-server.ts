/**
 * Serve mode's server: the built board over HTTP and the board protocol over WebSocket at /ws, both behind
 * the access policy. Frames are the contract's ClientFrame / ServerFrame; every invoke goes through the
 * same CommandRouter as Electron IPC, and every host event is sent to every connected board.
 * Every socket has an error listener: a bad frame or a dropped connection ends that connection (logged),
 * never the server, and never a training it runs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { z } from 'zod';
import type { EventName, ServerFrame } from '../protocol/board-api';
import { contentSecurityPolicy } from '../protocol/content-security-policy';
import type { CommandRouter } from '../runs/command-router';
import type { AccessPolicy } from './access-token';
import { requestUrl } from './request-url';
import { resolveStatic, sendFile } from './static-files';

export const WEBSOCKET_PATH = '/ws';
/** The largest frame a board may send; a larger one closes its connection (1009). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

const clientFrameSchema = z.object({ kind: z.literal('invoke'), id: z.number().int(), command: z.string(), params: z.unknown() });

const SECURITY_HEADERS = {
  'Content-Security-Policy': contentSecurityPolicy(),
  'X-Content-Type-Options': 'nosniff',
  // The page URL carries the token: never send it on as a Referer.
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

export interface BoardServer {
  readonly server: Server;
  /** Sends an event to every connected board. */
  broadcast(event: EventName, payload: unknown): void;
  close(): Promise<void>;
}

export interface BoardServerOptions {
  readonly rendererDir: string;
  readonly policy: AccessPolicy;
  readonly router: CommandRouter;
  /** Where dropped connections and server errors are reported: one line each (serve mode: stderr). */
  readonly log: (line: string) => void;
}

export function createBoardServer(options: BoardServerOptions): BoardServer {
  const { rendererDir, policy, log } = options;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const server = createServer(
    (req, res) =>
      void answerHttp(req, res).catch((err: unknown) => {
        log(`tuneboard serve: cannot answer ${req.method} ${requestUrl(req)?.pathname}: ${messageOf(err)}`);
        res.destroy();
      }),
  );
  // After listening, a server error (say, too many open files on accept) is reported; the board stays up.
  server.on('listening', () => server.on('error', (err) => log(`tuneboard serve: server error: ${err.message}`)));

  async function answerHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const url = requestUrl(req);
    if (!url) return plain(res, 400, 'Bad request');
    if (!policy.sameSite(req)) return plain(res, 403, 'Forbidden: this TuneBoard only answers requests addressed to it.');
    if (!policy.allows(req)) return plain(res, 401, 'Unauthorized: open the full address printed by `tuneboard serve`, with its ?token=.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed');
    const file = await resolveStatic(rendererDir, url.pathname);
    if (!file) return plain(res, 404, 'Not found');
    const cookie = url.searchParams.has('token') ? policy.cookie() : null;
    if (cookie) res.setHeader('Set-Cookie', cookie);
    await sendFile(res, file, req.method === 'HEAD').catch(() => plain(res, 500, 'Cannot read the file'));
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node hands an upgrading socket over without its error listener; a reset before ws takes it must not throw.
    socket.on('error', () => socket.destroy());
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
    };
    const url = requestUrl(req);
    if (!url) return refuse(400, 'Bad Request');
    if (url.pathname !== WEBSOCKET_PATH) return refuse(404, 'Not Found');
    if (!policy.sameSite(req)) return refuse(403, 'Forbidden');
    if (!policy.allows(req)) return refuse(401, 'Unauthorized');
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req));
  });

  sockets.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const from = peer(req);
    // ws has already sent the close frame the error calls for (1002, 1007, 1009...): only say so.
    ws.on('error', (err) => log(`tuneboard serve: closed a WebSocket connection from ${from}: ${err.message}`));
    ws.on('message', (data: RawData) => void answerFrame(ws, data).catch((err: unknown) => log(`tuneboard serve: cannot answer ${from}: ${messageOf(err)}`)));
  });

  async function answerFrame(ws: WebSocket, data: RawData): Promise<void> {
    let frame: z.infer<typeof clientFrameSchema>;
    try {
      frame = clientFrameSchema.parse(JSON.parse(String(data)));
    } catch {
      return send(ws, { kind: 'result', id: -1, ok: false, error: { message: 'malformed frame: expected {"kind":"invoke","id":N,"command":"domain:verb","params":{...}}' } });
    }
    const outcome = await options.router.handle(frame.command, frame.params);
    send(ws, outcome.ok ? { kind: 'result', id: frame.id, ok: true, result: outcome.result } : { kind: 'result', id: frame.id, ok: false, error: outcome.error });
  }

  return {
    server,
    broadcast(event, payload) {
      const text = JSON.stringify({ kind: 'event', event, payload } satisfies ServerFrame);
      for (const ws of sockets.clients) if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    async close() {
      for (const ws of sockets.clients) ws.close(1001, 'TuneBoard is shutting down');
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function peer(req: IncomingMessage): string {
  const { remoteAddress, remotePort } = req.socket;
  return remoteAddress?.includes(':') ? `[${remoteAddress}]:${remotePort}` : `${remoteAddress}:${remotePort}`;
}

function send(ws: WebSocket, frame: ServerFrame): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text + '\n');
}
