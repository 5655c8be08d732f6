// Draws the app icon, build/icon.png (512x512 RGBA), with no dependency: a rounded tile in a blue-violet
// gradient with a white falling loss curve over three bars. Run: node scripts/make-icon.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const S = 512;
const px = new Float64Array(S * S * 4);

const mix = (a, b, t) => a + (b - a) * t;
const clamp = (x) => Math.max(0, Math.min(1, x));

/** Signed distance to a rounded square centred in the image. */
function tile(x, y) {
  const half = 232;
  const r = 96;
  const qx = Math.abs(x - S / 2) - (half - r);
  const qy = Math.abs(y - S / 2) - (half - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

/** The loss curve: y as a function of x, falling fast then flattening. */
const curve = (x) => 150 + 240 * Math.exp(-(x - 96) / 80);
function curveDistance(x, y) {
  let best = Infinity;
  for (let cx = 96; cx <= 416; cx += 1) best = Math.min(best, Math.hypot(x - cx, y - curve(cx)));
  return best;
}

const bars = [
  { x0: 136, x1: 184, top: 300 },
  { x0: 232, x1: 280, top: 340 },
  { x0: 328, x1: 376, top: 370 },
];

for (let y = 0; y < S; y++) {
  for (let x = 0; x < S; x++) {
    const i = (y * S + x) * 4;
    // Anti-aliased coverage of the tile.
    const cover = clamp(0.5 - tile(x + 0.5, y + 0.5));
    if (cover === 0) continue;
    const t = clamp((x + y) / (2 * S));
    let r = mix(0.24, 0.55, t);
    let g = mix(0.35, 0.27, t);
    let b = mix(0.93, 0.85, t);
    // Bars, translucent white.
    for (const bar of bars) {
      if (x >= bar.x0 && x < bar.x1 && y >= bar.top && y < 420) {
        r = mix(r, 1, 0.35);
        g = mix(g, 1, 0.35);
        b = mix(b, 1, 0.35);
      }
    }
    // The curve, solid white, 14 px wide.
    const c = clamp(0.5 - (curveDistance(x + 0.5, S - (y + 0.5)) - 11));
    r = mix(r, 1, c);
    g = mix(g, 1, c);
    b = mix(b, 1, c);
    px.set([r, g, b, cover], i);
  }
}

// PNG: 8-bit RGBA, filter 0 on every row.
const raw = Buffer.alloc(S * (S * 4 + 1));
for (let y = 0; y < S; y++) {
  raw[y * (S * 4 + 1)] = 0;
  for (let x = 0; x < S * 4; x++) raw[y * (S * 4 + 1) + 1 + x] = Math.round(px[y * S * 4 + x] * 255);
}
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};
const header = Buffer.alloc(13);
header.writeUInt32BE(S, 0);
header.writeUInt32BE(S, 4);
header[8] = 8; // bit depth
header[9] = 6; // RGBA
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
mkdirSync('build', { recursive: true });
writeFileSync('build/icon.png', png);
console.log(`build/icon.png: ${S}x${S}, ${png.length} bytes`);
