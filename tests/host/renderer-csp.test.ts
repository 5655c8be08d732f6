/**
 * The built board page (out/renderer/index.html) carries the same Content-Security-Policy as the header the
 * Electron main process and serve mode send, directive by directive, before anything it loads; only
 * frame-ancestors is header-only (a <meta> policy cannot carry it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { contentSecurityPolicy } from '../../src-main/protocol/content-security-policy';
import { ROOT } from './host-fixtures';

const BUILT_PAGE = join(ROOT, 'out/renderer/index.html');

let html = '';
beforeAll(() => {
  html = readFileSync(BUILT_PAGE, 'utf8');
});

/** `name a b; name2 c` as name → sources, directive names lower-cased (CSP's own parsing rule). */
function directives(policy: string): Map<string, string[]> {
  const parsed = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (!name) continue;
    expect(parsed.has(name.toLowerCase()), `${name} given twice in: ${policy}`).toBe(false);
    parsed.set(name.toLowerCase(), sources);
  }
  return parsed;
}

const NAMED_REFERENCES: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };

/** An attribute value as the browser reads it: character references decoded (Vite writes ' as &#39;). */
function attributeValue(raw: string): string {
  return raw.replace(/&(?:#(\d+)|#x([\da-f]+)|(\w+));/gi, (whole, dec?: string, hex?: string, name?: string) =>
    dec ? String.fromCodePoint(Number(dec)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : (NAMED_REFERENCES[name!.toLowerCase()] ?? whole),
  );
}

/** The attributes of each <meta> tag of the page. */
function metaTags(page: string): Array<{ at: number; attrs: Map<string, string> }> {
  return [...page.matchAll(/<meta\b([^>]*)>/gi)].map((m) => ({
    at: m.index,
    attrs: new Map([...m[1]!.matchAll(/([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)].map((a) => [a[1]!.toLowerCase(), attributeValue(a[2] ?? a[3]!)])),
  }));
}

test('the built page has one CSP meta tag, before any script or stylesheet', () => {
  const csp = metaTags(html).filter((m) => m.attrs.get('http-equiv')?.toLowerCase() === 'content-security-policy');
  expect(csp).toHaveLength(1);
  const firstLoad = html.search(/<(script|link)\b/i);
  expect(firstLoad).toBeGreaterThan(0);
  expect(csp[0]!.at).toBeLessThan(firstLoad);
});

test("the page's policy is the header's, directive by directive: connect-src 'self' only, no plugins, no <base>, no forms", () => {
  const meta = directives(metaTags(html).find((m) => m.attrs.get('http-equiv')?.toLowerCase() === 'content-security-policy')!.attrs.get('content')!);
  const header = directives(contentSecurityPolicy());
  expect(header.get('frame-ancestors')).toEqual(["'none'"]);
  const headerButFrameAncestors = Object.fromEntries([...header].filter(([name]) => name !== 'frame-ancestors'));
  expect(Object.fromEntries(meta)).toEqual(headerButFrameAncestors);
  // What the issue named, spelled out: the page talks to itself only (serve mode's WebSocket is same-origin, which 'self' covers).
  expect(meta.get('connect-src')).toEqual(["'self'"]);
  expect(meta.get('script-src')).toEqual(["'self'"]);
  expect(meta.get('object-src')).toEqual(["'none'"]);
  expect(meta.get('base-uri')).toEqual(["'none'"]);
  expect(meta.get('form-action')).toEqual(["'none'"]);
});
