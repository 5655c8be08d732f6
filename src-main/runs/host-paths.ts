/** Where a host keeps and finds things: decided by the Electron main process or by `tuneboard serve`. */
import { join } from 'node:path';

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

/**
 * The demo model and sample dataset: `resources/` of the project in a checkout (npm start, tuneboard serve),
 * the app's resources folder (process.resourcesPath, electron-builder's extraResources) when packaged.
 */
export function demoPaths(resourcesDir: string): { demoModel: string; demoDataset: string } {
  return { demoModel: join(resourcesDir, 'demo-model'), demoDataset: join(resourcesDir, 'datasets', 'sample_alpaca.json') };
}
