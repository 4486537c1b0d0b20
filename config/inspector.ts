/**
 * `[inspector]` of frps.toml: the request inspector for http proxies (docs/beyond-frp.md), a
 * feature Go frp lacks. Optional in the config model so Go-compatible files need nothing; the
 * defaults live here, not in complete.ts.
 *
 * @module
 */

/** `[inspector]` as written in frps.toml (every field optional). */
export interface InspectorConfig {
  /** Master switch (default false): off ⇒ nothing is captured and the inspect API says so. */
  enable?: boolean;
  /** Wire names of http proxies captured from the start; `*` matches any run of characters. */
  proxies?: string[];
  /** Requests kept per proxy (ring buffer; default 100). */
  maxRequests?: number;
  /** Bytes of each request and response body kept as a preview (default 4096). */
  maxBodyPreviewBytes?: number;
  /** Bytes kept per proxy (heads + previews; default 1 MiB): oldest requests go first. */
  maxBufferBytes?: number;
}

/** {@link InspectorConfig} with defaults applied. */
export type ResolvedInspectorConfig = Required<InspectorConfig>;

/** Defaults of `[inspector]`. */
export const INSPECTOR_DEFAULTS: ResolvedInspectorConfig = {
  enable: false,
  proxies: [],
  maxRequests: 100,
  maxBodyPreviewBytes: 4096,
  maxBufferBytes: 1 << 20,
};

/** Fills the defaults (0 or unset ⇒ default). */
export function resolveInspector(c: InspectorConfig | undefined): ResolvedInspectorConfig {
  const d = INSPECTOR_DEFAULTS;
  return {
    enable: c?.enable ?? d.enable,
    proxies: c?.proxies ?? d.proxies,
    maxRequests: c?.maxRequests || d.maxRequests,
    maxBodyPreviewBytes: c?.maxBodyPreviewBytes || d.maxBodyPreviewBytes,
    maxBufferBytes: c?.maxBufferBytes || d.maxBufferBytes,
  };
}

/** Validation of `[inspector]`; `dashboard`: whether `webServer.port > 0`. */
export function validateInspector(
  c: InspectorConfig | undefined,
  dashboard: boolean,
): { errors: string[]; warnings: string[] } {
  const errs: string[] = [];
  const warnings: string[] = [];
  if (!c) return { errors: errs, warnings };
  if (c.enable && !dashboard) {
    warnings.push(
      "inspector.enable is ignored: the request inspector needs the dashboard (webServer.port)",
    );
  }
  const range = (v: number | undefined, name: string, max: number) => {
    if (v !== undefined && (v < 0 || v > max)) {
      errs.push(`inspector.${name} must be between 0 and ${max}`);
    }
  };
  range(c.maxRequests, "maxRequests", 100_000);
  range(c.maxBodyPreviewBytes, "maxBodyPreviewBytes", 16 << 20);
  range(c.maxBufferBytes, "maxBufferBytes", 1 << 30);
  for (const p of c.proxies ?? []) {
    if (p === "") errs.push("inspector.proxies: empty name pattern");
  }
  return { errors: errs, warnings };
}
