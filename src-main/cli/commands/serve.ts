import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resourcesDir } from '../../engine/resources';
import { serveBoard } from '../../serve/serve-board';
import { numberFlag, parseCommandLine } from '../args';
import type { Command } from './command';

const usage = `usage: tuneboard serve [--host 127.0.0.1] [--port 7860] [--runs-dir DIR] [--exports-dir DIR] [--open] [--no-token]
  Serves the board over HTTP and WebSocket, for a browser on this machine or, with --host 0.0.0.0, on
  another one (a GPU server, say). The printed URL carries a random access token, on loopback too:
  requests without it are refused. Whoever holds it can do all the board does, as you: read datasets and
  models, start runs, write exports. --no-token (loopback only) drops the token: any local user or process
  can then read and write your files through the board. Runs are kept in --runs-dir (default ./runs),
  exports with a relative destination in --exports-dir (default ./exports). Ctrl-C stops a training with a
  checkpoint first, then quits.`;

export const serve: Command = {
  summary: 'serve the board in a browser (HTTP + WebSocket), locally or on a server',
  usage,
  async run(argv) {
    const { values } = parseCommandLine(
      argv,
      {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '7860' },
        'runs-dir': { type: 'string', default: 'runs' },
        'exports-dir': { type: 'string', default: 'exports' },
        open: { type: 'boolean', default: false },
        'no-token': { type: 'boolean', default: false },
      },
      usage,
    );
    const port = numberFlag(values.port, '--port', 7860, { min: 0, max: 65535, integer: true });
    // This file is bundled into out/engine/tuneboard.mjs: the board is built beside it.
    const bundle = fileURLToPath(import.meta.url);
    const out = dirname(dirname(bundle));
    const board = await serveBoard({
      host: values.host,
      port,
      runsDir: resolve(values['runs-dir']),
      exportsDir: resolve(values['exports-dir']),
      baseDir: process.cwd(),
      engineBundle: bundle,
      rendererDir: join(out, 'renderer'),
      resourcesDir: resourcesDir(),
      noToken: values['no-token'],
    });
    if (!board.token) process.stderr.write('warning: --no-token: any local user or process can read and write your files through the board, as you.\n');
    process.stdout.write(`TuneBoard is serving the board at ${board.url}\n`);
    process.stdout.write(`runs: ${board.runs.runsDir}\n`);
    if (board.token) process.stdout.write('Anyone with this address (its token included) can use the board and your files: share it with care.\n');
    process.stdout.write('Press Ctrl-C to stop.\n');
    if (values.open) openInBrowser(board.url);

    await new Promise<void>((done) => {
      let stopping = false;
      const stop = () => {
        if (stopping) process.exit(130);
        stopping = true;
        const active = board.runs.activeRun;
        process.stderr.write(active ? `\nstopping run ${active} after its current step (Ctrl-C again to quit at once)...\n` : '\nstopping...\n');
        void board.close().then(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};

function openInBrowser(url: string): void {
  const [command, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  const child = spawn(command as string, args as string[], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`could not open a browser; open ${url} yourself\n`));
  child.unref();
}
