/**
 * Server-side domain validation and the domain list of http/https/tcpmux proxies
 * (behaviour.md §1.2; frp pkg/config/v1/validation/proxy.go).
 *
 * @module
 */
import type { NewProxy } from "../../protocol/msg/messages.ts";

/** Validates custom domains / subdomain against `subDomainHost`; throws frp's error texts. */
export function validateDomains(msg: NewProxy, subDomainHost: string): void {
  if (subDomainHost) {
    for (const d of msg.custom_domains ?? []) {
      if (
        d.split(".").length > subDomainHost.split(".").length &&
        d.endsWith("." + subDomainHost)
      ) {
        throw new Error(
          `custom domain [${d}] should not belong to subdomain host [${subDomainHost}]`,
        );
      }
    }
  }
  if (msg.subdomain) {
    if (!subDomainHost) {
      throw new Error("subdomain is not supported because this feature is not enabled in server");
    }
    if (msg.subdomain.includes(".") || msg.subdomain.includes("*")) {
      throw new Error("'.' and '*' are not supported in subdomain");
    }
  }
}

/** customDomains (non-empty, in order) then `subdomain.subDomainHost`. */
export function proxyDomains(msg: NewProxy, subDomainHost: string): string[] {
  const out = (msg.custom_domains ?? []).filter((d) => d !== "");
  if (msg.subdomain) out.push(`${msg.subdomain}.${subDomainHost}`);
  return out;
}
