import type { TrainEvent } from '../protocol/engine-types';
import { formatBytes, formatCount, formatLoss } from '../protocol/quantities';

/**
 * Training progress on stderr: one line that updates in place on a terminal (a new line per logged step
 * when stderr is a file or pipe), plus a line for each evaluation, checkpoint and warning.
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (event: TrainEvent) => void {
  const tty = stream.isTTY === true;
  let live = false;
  const line = (text: string) => {
    if (live) stream.write('\r\x1b[2K');
    live = false;
    stream.write(text + '\n');
  };
  return (event) => {
    switch (event.type) {
      case 'log':
        line(`${event.level === 'warn' ? 'warning: ' : ''}${event.message}`);
        return;
      case 'started':
        line(`backend: ${event.backend.name} · ${event.backend.device}`);
        line(
          `training ${formatCount(event.trainableParameters)} LoRA parameters on ${event.trainExamples} examples` +
            `${event.evalExamples ? ` (${event.evalExamples} held out)` : ''}, ${event.totalSteps} steps` +
            `${event.startStep ? `, resuming at step ${event.startStep}` : ''}`,
        );
        return;
      case 'eval':
        line(`step ${event.step}: eval loss ${formatLoss(event.evalLoss)}`);
        return;
      case 'checkpoint':
        line(`step ${event.step}: checkpoint saved to ${event.path}`);
        return;
      case 'health': {
        const r = event.reading;
        line(`${r.severity === 'error' ? 'error' : 'warning'}: step ${r.step}: ${r.message}\n  ${r.advice}`);
        return;
      }
      case 'progress':
        // Between logged steps a terminal's line still moves; a log file gets the logged steps only.
        if (tty) {
          stream.write(`\r\x1b[2K${bar(event.step, event.totalSteps)} · elapsed ${clock(event.elapsedSeconds)} · ETA ${clock(event.etaSeconds)}`);
          live = true;
        }
        return;
      case 'step': {
        const m = event.metrics;
        const text = [
          bar(m.step, event.totalSteps),
          `loss ${formatLoss(m.loss)}`,
          `lr ${m.lr.toExponential(2)}`,
          `${Math.round(m.tokens_per_s)} tok/s`,
          `${m.memory.kind === 'gpu' ? 'GPU' : 'RAM'} ${formatBytes(m.memory.used)}`,
          `elapsed ${clock(event.elapsedSeconds)}`,
          `ETA ${clock(event.etaSeconds)}`,
        ].join(' · ');
        if (tty) {
          stream.write(`\r\x1b[2K${text}`);
          live = true;
          if (m.step === event.totalSteps) line('');
        } else {
          line(text);
        }
        return;
      }
    }
  };
}

export function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function bar(step: number, total: number): string {
  const width = 20;
  const done = Math.round((step / total) * width);
  return `step ${step}/${total} ${'█'.repeat(done)}${'░'.repeat(width - done)}`;
}
