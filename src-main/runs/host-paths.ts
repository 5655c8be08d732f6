/** Where a host keeps and finds things: decided by the Electron main process or by `tuneboard serve`. */

export interface HostPaths {
  readonly runsDir: string;
  /** Exports with a relative destination land here. */
  readonly exportsDir: string;
  /** Relative paths in commands are taken from here; the file browser opens here. */
  readonly baseDir: string;
  /** The embedded demo model and sample dataset. */
  readonly demoModel: string;
  readonly demoDataset: string;
}
