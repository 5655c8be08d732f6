/**
 * Electron main process: one sandboxed window for the board, the run manager and command router shared
 * with serve mode, and engine processes as utility processes. Quitting stops a training with a checkpoint
 * first. One instance at a time: two would both think they own the runs folder.
 */
import { app, BrowserWindow, session } from 'electron';
import { CommandRouter } from '../runs/command-router';
import { RunManager } from '../runs/run-manager';
import { appPaths } from './app-paths';
import { handleCommands, windowEvents } from './ipc-bridge';
import { boardPageUrl, createMainWindow } from './main-window';
import { nativeServices } from './native-services';
import { utilityEngineLauncher } from './utility-engine';
import { applyContentSecurityPolicy, lockDown } from './web-security';

app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let window: BrowserWindow | null = null;
  let router: CommandRouter | null = null;
  let quitting = false;

  const openWindow = () => {
    window = createMainWindow();
    window.on('closed', () => (window = null));
  };

  app.on('web-contents-created', (_event, contents) => lockDown(contents));
  app.on('second-instance', () => {
    if (!window) return openWindow();
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  void app.whenReady().then(() => {
    const paths = appPaths();
    const launchEngine = utilityEngineLauncher(paths.engineBundle);
    const emit = windowEvents(() => window);
    const runs = new RunManager({ runsDir: paths.runsDir, baseDir: paths.baseDir, launchEngine, emit });
    router = new CommandRouter({ runs, launchEngine, emit, paths, services: nativeServices(() => window) });
    handleCommands(router, { webContents: () => window?.webContents ?? null, pageUrl: boardPageUrl() });
    applyContentSecurityPolicy(session.defaultSession);
    openWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) openWindow();
    });
  });

  // On macOS the app (and a training) lives on without a window, as Mac apps do.
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('before-quit', (event) => {
    if (quitting || !router) return;
    event.preventDefault();
    quitting = true;
    void router.close().finally(() => app.quit());
  });
}
