/**
 * Where the desktop app keeps and finds things. Runs live under the user data folder; exports go to a
 * TuneBoard folder in Documents, where people look for files. In a checkout (npm start) the engine bundle
 * and the demo are the project's; packaged, the engine is unpacked beside app.asar (it is forked as a
 * process and loads native Dawn) and the demo is in the app's resources folder.
 */
import { app } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { demoPaths } from '../engine/resources';
import type { HostPaths } from '../runs/host-paths';

export const ENGINE_ENTRY = join('out', 'engine', 'tuneboard.mjs');

export function appPaths(): HostPaths & { readonly engineBundle: string } {
  const userData = app.getPath('userData');
  const resources = app.isPackaged ? process.resourcesPath : join(app.getAppPath(), 'resources');
  const appDir = app.getAppPath();
  const unpacked = join(`${appDir}.unpacked`, ENGINE_ENTRY);
  return {
    runsDir: join(userData, 'runs'),
    exportsDir: exportsFolder(userData),
    baseDir: app.getPath('home'),
    ...demoPaths(resources),
    engineBundle: existsSync(unpacked) ? unpacked : join(appDir, ENGINE_ENTRY),
  };
}

function exportsFolder(userData: string): string {
  try {
    return join(app.getPath('documents'), 'TuneBoard exports');
  } catch {
    return join(userData, 'exports');
  }
}
