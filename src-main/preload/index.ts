/** The only bridge between the sandboxed board and the main process. */
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('tuneboard', { transport: 'ipc' });
