/**
 * frp configuration system: load (TOML/YAML/JSON, legacy INI, Go templates, includes),
 * defaults, validation and `verify` output, matching Go frp v0.62–v0.70.
 *
 * @module
 */

export * from "./types.ts";
export { ConfigError } from "./errors.ts";
export {
  absPath,
  completeClientConfig,
  completeServerConfig,
  INI_DEPRECATION_WARNING,
  loadClientConfig,
  type LoadedConfig,
  type LoadOptions,
  loadServerConfig,
  resolveValueSource,
  verifyClientConfig,
  type VerifyResult,
  verifyServerConfig,
} from "./load.ts";
export { type ConfigHost, denoHost } from "./_fs.ts";
export { parseBandwidth, validatePort, validateProxy, validateVisitor } from "./validate.ts";
export { completeProxy, completeVisitor } from "./complete.ts";
export {
  decodeDefinition,
  decodeStoreData,
  encodeStoreData,
  type StoreData,
  type StoreEntry,
  type StoreKind,
} from "./store.ts";
export { unsupportedSettings } from "./unsupported.ts";
export {
  NumberPair,
  parseNumberRange,
  parseNumberRangePair,
  renderTemplate,
  TemplateError,
} from "./template/mod.ts";
export { serverConfigFromFlags } from "./flags.ts";
