/** Error type of the config system. `message` is the user-facing text (no stack needed). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
