/**
 * Who may use a served board: whoever holds its random token, on every HTTP and WebSocket request, in the
 * URL's `?token=` or in the HttpOnly cookie the first page sets so its scripts and styles load. On a loopback
 * address too, since every local user and process can connect there and the board reads and writes the
 * serving user's files; `--no-token` (loopback only) drops it for a user who insists. Besides the token, on
 * loopback the Host header must name a loopback address (a DNS-rebinding page cannot pass), and a browser's
 * Origin must be the board itself (another site's script cannot open the WebSocket).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { requestUrl } from './request-url';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

export function newAccessToken(): string {
  return randomBytes(24).toString('base64url');
}

export class AccessPolicy {
  /** The port the server listens on, once it does. */
  port = 0;

  constructor(
    /** null with `--no-token`: anyone who can connect may use the board. */
    readonly token: string | null,
    /** The board is served on a loopback address: requests must name one in Host. */
    readonly loopback: boolean,
  ) {}

  /** The cookie is per port: two boards on one machine do not overwrite each other's. */
  get cookieName(): string {
    return `tuneboard-token-${this.port}`;
  }

  /** The token the request carries, from `?token=` or the cookie. */
  tokenOf(req: IncomingMessage): string | null {
    const query = requestUrl(req)?.searchParams.get('token');
    if (query) return query;
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === this.cookieName) return value.join('=');
    }
    return null;
  }

  allows(req: IncomingMessage): boolean {
    if (this.token === null) return true;
    const given = this.tokenOf(req);
    if (!given) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Set on a page answered to a request that carried the token in its URL. */
  cookie(): string | null {
    return this.token === null ? null : `${this.cookieName}=${this.token}; Path=/; HttpOnly; SameSite=Strict`;
  }

  /** On loopback, Host names a loopback address; anywhere, a browser's Origin is the board itself. */
  sameSite(req: IncomingMessage): boolean {
    const host = req.headers.host ?? '';
    if (this.loopback && !isLoopback(hostname(host))) return false;
    const origin = req.headers.origin;
    if (!origin) return true;
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }
}

function hostname(hostHeader: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(hostHeader);
  return m ? m[1]! : hostHeader;
}
