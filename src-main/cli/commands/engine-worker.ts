import { runEngineWorker } from '../../engine/worker/engine-worker';
import type { Command } from './command';

/** Hidden: the board's engine process (Electron utility process or serve mode's child). */
export const engineWorker: Command = {
  summary: 'the engine process of the board (started by TuneBoard)',
  usage: 'usage: tuneboard engine-worker\n  Started by the board (npm start, tuneboard serve) as its engine process; not meant to be run by hand.',
  run: () => runEngineWorker(),
};
