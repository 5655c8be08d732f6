/** Engine processes as Node children (child_process.fork of the engine bundle): serve mode and the tests. */
import { fork } from 'node:child_process';
import { EngineConnection } from './engine-connection';
import type { EngineLauncher, EngineTransport } from './engine-host';

/** `bundle` is out/engine/tuneboard.mjs; each call of the launcher starts one `tuneboard engine-worker`. */
export function forkEngineLauncher(bundle: string, env: NodeJS.ProcessEnv = process.env): EngineLauncher {
  return () => {
    // execArgv: [] so a parent's flags (a test runner's loaders, --inspect) are not inherited.
    const child = fork(bundle, ['engine-worker'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [], env, serialization: 'advanced' });
    child.stderr!.setEncoding('utf8');
    const transport: EngineTransport = {
      pid: child.pid,
      send: (message) => {
        if (child.connected) child.send(message);
      },
      onMessage: (listener) => child.on('message', listener),
      onStderr: (listener) => child.stderr!.on('data', listener),
      // 'close' comes after 'exit' and after stderr and the IPC channel are drained: no late message or line is lost.
      onExit: (listener) => child.once('close', (code, signal) => listener(code, signal)),
      kill: () => child.kill('SIGKILL'),
    };
    // A failed spawn emits 'error' and then 'close'; without a listener 'error' would be thrown.
    child.on('error', () => {});
    return new EngineConnection(transport);
  };
}
