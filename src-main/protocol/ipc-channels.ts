/** Electron IPC channel names shared by the main process and the preload: one per command, one for all events. */
export const invokeChannel = (command: string): string => `tuneboard:invoke:${command}`;
export const EVENT_CHANNEL = 'tuneboard:event';
