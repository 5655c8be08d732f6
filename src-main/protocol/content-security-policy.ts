/**
 * The board page's Content-Security-Policy, sent as a header by the Electron main process and by serve mode
 * in addition to the meta tag of src-renderer/index.html (both apply; keep them in agreement). Scripts only
 * from the app itself, no plugins, no framing; serve mode's board also talks WebSocket to its own host.
 */
export function contentSecurityPolicy(transport: 'ipc' | 'websocket'): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // Svelte sets style attributes at runtime.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    transport === 'websocket' ? "connect-src 'self' ws: wss:" : "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
