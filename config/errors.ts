/** Error type of the config system. `message` is the user-facing text (no stack needed). */
export class ConfigError extends Error {
  /** An error whose message is shown to the user as is. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
