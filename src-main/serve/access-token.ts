/**
 * Who may use a served board. On a loopback address only this machine can connect, and no token is asked
 * (Host and Origin are still checked, so a web page elsewhere cannot reach the board through the browser).
 * On any other address a random token is required on every HTTP and WebSocket request: in the URL's
 * `?token=`, or in the cookie the first page sets so its scripts and styles load.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

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
    /** null on loopback: no token needed. */
    readonly token: string | null,
  ) {}

  /** The cookie is per port: two boards on one machine do not overwrite each other's. */
  get cookieName(): string {
    return `tuneboard-token-${this.port}`;
  }

  /** The token the request carries, from `?token=` or the cookie. */
  tokenOf(req: IncomingMessage): string | null {
    const query = new URL(req.url ?? '/', 'http://board').searchParams.get('token');
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

  /**
   * On loopback, the Host header must name a loopback address (a DNS-rebinding page cannot pass) and a
   * browser's Origin must be the board itself (another site's script cannot open the WebSocket).
   */
  sameSite(req: IncomingMessage): boolean {
    const host = req.headers.host ?? '';
    if (this.token === null && !isLoopback(hostname(host))) return false;
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
