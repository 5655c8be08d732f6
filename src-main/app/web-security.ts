/**
 * What the board's web contents may do: nothing but show the board. A strict CSP header on every response
 * (besides the page's meta tag, which is what holds for a page loaded from file:// should Chromium not pass
 * it through webRequest), no navigation away, no new windows, no webviews, no permissions.
 */
import type { Session, WebContents } from 'electron';
import { contentSecurityPolicy } from '../protocol/content-security-policy';

export function applyContentSecurityPolicy(session: Session): void {
  const policy = contentSecurityPolicy();
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
