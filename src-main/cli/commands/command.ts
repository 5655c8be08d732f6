export interface Command {
  /** One line for `tuneboard --help`. */
  readonly summary: string;
  readonly usage: string;
  run(argv: string[]): Promise<void>;
}
