/**
 * A request's target as a URL, or null when it cannot be one (`//`, a broken absolute form such as
 * `http://[:::1]/`): `new URL` throws on those, and a throw while answering must not reach the server.
 */
import type { IncomingMessage } from 'node:http';

export function requestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://board');
  } catch {
    return null;
  }
}
