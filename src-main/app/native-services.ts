/** The desktop's own dialogs and file manager, for dialog:pick and shell:show. */
import { dialog, shell, type BrowserWindow, type OpenDialogOptions } from 'electron';
import { existsSync } from 'node:fs';
import type { HostServices } from '../runs/host-services';

export function nativeServices(window: () => BrowserWindow | null): HostServices {
  return {
    transport: 'ipc',
    nativeDialogs: true,
    async pick({ kind, title, filters }) {
      // Filters are file extensions: "json", ".jsonl" and "*.json" all mean the same.
      const extensions = (filters ?? []).map((f) => f.replace(/^\*?\./, '')).filter(Boolean);
      const options: OpenDialogOptions = {
        title,
        properties: kind === 'folder' ? ['openDirectory'] : ['openFile'],
        ...(kind === 'file' && extensions.length ? { filters: [{ name: extensions.map((e) => `.${e}`).join(', '), extensions }, { name: 'All files', extensions: ['*'] }] } : {}),
      };
      const parent = window();
      const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
      return { available: true, path: result.canceled ? null : (result.filePaths[0] ?? null) };
    },
    async show(path) {
      if (!existsSync(path)) return { ok: false };
      shell.showItemInFolder(path);
      return { ok: true };
    },
  };
}
