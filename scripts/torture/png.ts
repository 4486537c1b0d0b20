/**
 * A minimal PNG line-plot writer (RGB, zlib from node:zlib): enough to draw the soak's RSS and
 * fd series without a plotting dependency. No text: the caption in docs/reliability.md names
 * the colours and axes.
 *
 * @module
 */

import { deflateSync } from "node:zlib";
import { concatBytes } from "../../protocol/io.ts";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) for (const b of p) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.byteLength);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.byteLength);
  const t = new TextEncoder().encode(type);
  out.set(t, 4);
  out.set(data, 8);
  v.setUint32(8 + data.byteLength, crc32([t, data]));
  return out;
}

/** An RGB canvas. */
export class Canvas {
  readonly px: Uint8Array;
  constructor(readonly width: number, readonly height: number) {
    this.px = new Uint8Array(width * height * 3).fill(255);
  }
  set(x: number, y: number, rgb: readonly [number, number, number]): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.px.set(rgb, (y * this.width + x) * 3);
  }
  /** A 2-pixel-wide line (Bresenham-ish by sampling). */
  line(x0: number, y0: number, x1: number, y1: number, rgb: readonly [number, number, number]) {
    const n = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let i = 0; i <= n; i++) {
      const x = x0 + ((x1 - x0) * i) / n, y = y0 + ((y1 - y0) * i) / n;
      this.set(x, y, rgb);
      this.set(x, y + 1, rgb);
    }
  }
  /** Encodes as PNG bytes. */
  png(): Uint8Array {
    const raw = new Uint8Array((this.width * 3 + 1) * this.height);
    for (let y = 0; y < this.height; y++) {
      raw[y * (this.width * 3 + 1)] = 0; // filter: none
      raw.set(
        this.px.subarray(y * this.width * 3, (y + 1) * this.width * 3),
        y * (this.width * 3 + 1) + 1,
      );
    }
    const ihdr = new Uint8Array(13);
    const v = new DataView(ihdr.buffer);
    v.setUint32(0, this.width);
    v.setUint32(4, this.height);
    ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
    const sig = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
    const parts = [
      sig,
      chunk("IHDR", ihdr),
      chunk("IDAT", deflateSync(raw)),
      chunk("IEND", new Uint8Array(0)),
    ];
    return concatBytes(parts);
  }
}

/** One series to plot: values over sample index, drawn in its own panel scaled 0..max. */
export interface Series {
  values: number[];
  rgb: readonly [number, number, number];
}

/**
 * Plots each panel (a list of series sharing a y scale from 0 to their max × 1.2) stacked
 * vertically, with a grey frame and a light grid line at every 25 %.
 */
export function plotPanels(panels: Series[][], width = 900, panelHeight = 220): Uint8Array {
  const c = new Canvas(width, panelHeight * panels.length);
  const m = 10;
  panels.forEach((series, pi) => {
    const top = pi * panelHeight + m, bottom = (pi + 1) * panelHeight - m;
    const left = m, right = width - m;
    for (let g = 0; g <= 4; g++) {
      const y = bottom - ((bottom - top) * g) / 4;
      c.line(left, y, right, y, g === 0 ? [120, 120, 120] : [225, 225, 225]);
    }
    c.line(left, top, left, bottom, [120, 120, 120]);
    const max = Math.max(1, ...series.flatMap((s) => s.values)) * 1.2;
    for (const s of series) {
      const n = s.values.length;
      for (let i = 1; i < n; i++) {
        const x0 = left + ((right - left) * (i - 1)) / Math.max(1, n - 1);
        const x1 = left + ((right - left) * i) / Math.max(1, n - 1);
        const y0 = bottom - ((bottom - top) * s.values[i - 1]) / max;
        const y1 = bottom - ((bottom - top) * s.values[i]) / max;
        c.line(x0, y0, x1, y1, s.rgb);
      }
    }
  });
  return c.png();
}
