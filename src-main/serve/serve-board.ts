/** Serve mode assembled: run manager, command router, engine processes as Node children, and the HTTP + WebSocket server. */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../engine/errors';
import { CommandRouter } from '../runs/command-router';
import type { EventSink } from '../runs/event-sink';
import { forkEngineLauncher } from '../runs/fork-engine';
import { demoPaths } from '../engine/resources';
import type { HostPaths } from '../runs/host-paths';
import { websocketServices } from '../runs/host-services';
import { RunManager } from '../runs/run-manager';
import { AccessPolicy, isLoopback, newAccessToken } from './access-token';
import { createBoardServer } from './board-server';

export interface ServeOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly runsDir: string;
  readonly exportsDir: string;
  readonly baseDir: string;
  /** out/engine/tuneboard.mjs: forked as `engine-worker` for each engine process. */
  readonly engineBundle: string;
  /** out/renderer: the built board. */
  readonly rendererDir: string;
  /** The folder holding demo-model/ and datasets/. */
  readonly resourcesDir: string;
  /** `--no-token`: no token asked (loopback only). */
  readonly noToken: boolean;
}

export interface ServedBoard {
  /** The address to open, with the token (unless `--no-token`). */
  readonly url: string;
  readonly port: number;
  readonly token: string | null;
  readonly runs: RunManager;
  /** Stops trainings with a checkpoint, ends the engine processes and the server. */
  close(): Promise<void>;
}

export async function serveBoard(o: ServeOptions): Promise<ServedBoard> {
  if (!existsSync(join(o.rendererDir, 'index.html'))) throw new UserError(`the board is not built (${o.rendererDir} has no index.html)`, 'Run `npm run build` in the TuneBoard folder first.');
  const loopback = isLoopback(o.host);
  if (o.noToken && !loopback) throw new UserError(`--no-token is only allowed on a loopback host, not ${o.host}: anyone on the network could use the board and your files`, 'Drop --no-token (open the printed address, token included), or serve on 127.0.0.1.');
  const paths: HostPaths = { runsDir: o.runsDir, exportsDir: o.exportsDir, baseDir: o.baseDir, ...demoPaths(o.resourcesDir) };
  const launchEngine = forkEngineLauncher(o.engineBundle);
  let broadcast: EventSink = () => {};
  const emit: EventSink = (event, payload) => broadcast(event, payload);
  const runs = new RunManager({ runsDir: paths.runsDir, baseDir: paths.baseDir, launchEngine, emit });
  const router = new CommandRouter({ runs, launchEngine, emit, paths, services: websocketServices });
  const token = o.noToken ? null : newAccessToken();
  const policy = new AccessPolicy(token, loopback);
  const board = createBoardServer({ rendererDir: o.rendererDir, policy, router, log: (line) => process.stderr.write(`${line}\n`) });
  broadcast = (event, payload) => board.broadcast(event, payload);

  await new Promise<void>((resolve, reject) => {
    board.server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new UserError(`port ${o.port} on ${o.host} is already in use`, 'Choose another one with --port.'));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new UserError(`${o.host} is not an address of this machine`, 'Use --host 127.0.0.1 (this machine only) or 0.0.0.0 (every network).'));
      else reject(err);
    });
    board.server.listen(o.port, o.host, () => resolve());
  });
  const port = (board.server.address() as AddressInfo).port;
  policy.port = port;
  const url = `http://${urlHost(o.host)}:${port}/${token ? `?token=${token}` : ''}`;
  return {
    url,
    port,
    token,
    runs,
    async close() {
      await router.close();
      await board.close();
    },
  };
}

/** The host to print: a wildcard address is not one a browser can open, so name this machine's first network address. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    return external?.address ?? '127.0.0.1';
  }
  return host.includes(':') ? `[${host}]` : host;
}
