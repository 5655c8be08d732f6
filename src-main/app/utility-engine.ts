/** Engine processes as Electron utility processes (utilityProcess.fork of the engine bundle, `engine-worker`). */
import { utilityProcess } from 'electron';
import { EngineConnection } from '../runs/engine-connection';
import type { EngineLauncher, EngineTransport } from '../runs/engine-host';

export function utilityEngineLauncher(bundle: string): EngineLauncher {
  return () => {
    const child = utilityProcess.fork(bundle, ['engine-worker'], { stdio: 'pipe', serviceName: 'TuneBoard engine' });
    child.stdout?.resume();
    child.stderr?.setEncoding('utf8');
    const transport: EngineTransport = {
      get pid() {
        return child.pid;
      },
      send: (message) => child.postMessage(message),
      onMessage: (listener) => child.on('message', listener),
      onStderr: (listener) => child.stderr?.on('data', (chunk: string) => listener(chunk)),
      // A utility process reports an exit code only (a crash or a kill shows as a non-zero code).
      onExit: (listener) => child.once('exit', (code) => listener(code, null)),
      kill: () => void child.kill(),
    };
    return new EngineConnection(transport);
  };
}
