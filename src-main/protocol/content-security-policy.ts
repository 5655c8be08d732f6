/**
 * The board page's Content-Security-Policy, the one source for all three places it is given: the header the
 * Electron main process and serve mode send, and the <meta> tag the renderer build writes into index.html
 * (which is what holds for a page loaded from file:// should Chromium not pass the header through
 * webRequest). Scripts only from the app itself, no plugins, no <base>, no form posts, no framing.
 * connect-src 'self' covers serve mode's WebSocket: it goes to the page's own host, and Chromium matches
 * ws:/wss: to 'self' (CSP Level 3), as it does the dev server's hot reload.
 */
const DIRECTIVES: ReadonlyArray<readonly [string, string]> = [
  ['default-src', "'self'"],
  ['script-src', "'self'"],
  // Svelte sets style attributes at runtime.
  ['style-src', "'self' 'unsafe-inline'"],
  ['img-src', "'self' data:"],
  ['font-src', "'self'"],
  ['connect-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
  ['frame-ancestors', "'none'"],
];

/** Ignored in a <meta> policy (Chromium says so on the console): the header alone carries it. */
const HEADER_ONLY = new Set(['frame-ancestors']);

/** The policy as a response header. */
export function contentSecurityPolicy(): string {
  return DIRECTIVES.map(([name, sources]) => `${name} ${sources}`).join('; ');
}

/** The same policy for the page's <meta http-equiv> tag. */
export function metaContentSecurityPolicy(): string {
  return DIRECTIVES.filter(([name]) => !HEADER_ONLY.has(name))
    .map(([name, sources]) => `${name} ${sources}`)
    .join('; ');
}
