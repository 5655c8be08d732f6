/** The `tuneboard` command: the engine without the board. */
import { describeError, UserError } from '../engine/errors';
import { UsageError } from './args';
import type { Command } from './commands/command';
import { generate } from './commands/generate';
import { info } from './commands/info';
import { train } from './commands/train';
import { bench } from './commands/bench';
import { plan } from './commands/plan';
import { evaluate } from './commands/eval';
import { exportModel } from './commands/export';
import { serve } from './commands/serve';
import { engineWorker } from './commands/engine-worker';

const commands: Record<string, Command> = { train, eval: evaluate, export: exportModel, generate, info, plan, bench, serve };
/** Not listed in --help: the board's engine process. */
const hidden: Record<string, Command> = { 'engine-worker': engineWorker };

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'usage: tuneboard <command> [options]',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'tuneboard <command> --help shows the options of one command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : Object.hasOwn(hidden, name) ? hidden[name] : undefined;
  if (!command) {
    process.stderr.write(`tuneboard: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.usage + '\n');
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (err) {
    process.stderr.write(`error: ${describeError(err)}\n`);
    if (!(err instanceof UserError) && process.env['TUNEBOARD_DEBUG']) process.stderr.write(`${(err as Error).stack}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

// In an Electron utility process (the board's engine) there is one thing to run, whatever Chromium put on the command line.
const isUtilityProcess = (process as { parentPort?: unknown }).parentPort !== undefined;
main(isUtilityProcess ? ['engine-worker'] : process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`error: ${describeError(err)}\n`);
    process.exit(1);
  },
);
