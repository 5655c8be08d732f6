/**
 * The host's run log as data: each line LiveRun builds from a training event carries what it says (run-log.ts),
 * for the board to say it in the user's language; engine warnings and lines read from train.log stay text. A
 * reloaded board gets the same entries, line for line. Stopping before any step promises no checkpoint.
 */
import { describe, expect, it } from 'vitest';
import { newRunRecord, type HealthReading, type StepMetrics } from '../../src-main/protocol/engine-types';
import { LiveRun } from '../../src-main/runs/live-run';
import { EventLog } from './event-log';

const memory = { kind: 'process', source: 'process', used: 1e8, total: null } as const;
const metrics = (step: number, loss: number): StepMetrics => ({ step, epoch: step / 10, loss, lr: 2e-3, grad_norm: 1, tokens: 40, tokens_per_s: 321.4, memory });
const diverging: HealthReading = { step: 6, kind: 'diverging', severity: 'warn', values: { loss: 9.9, start: 5.7, lr: 1 }, message: 'the loss is rising', advice: 'Lower the learning rate.' };

function liveRun(log: EventLog): LiveRun {
  return new LiveRun('/runs/r1', newRunRecord('r1', {}), { metrics: [], logs: ['2026-01-01T00:00:00.000Z from train.log'], hasCheckpoint: false }, log.sink);
}

describe('the live run log', () => {
  it('sends what each line says beside its English, and keeps both for a reloaded board', () => {
    const log = new EventLog();
    const run = liveRun(log);
    run.apply({ type: 'started', backend: { name: 'wasm', device: 'CPU', skipped: [] }, totalSteps: 10, startStep: 0, trainExamples: 20, evalExamples: 4, trainableParameters: 1234 });
    run.apply({ type: 'log', level: 'warn', message: 'some examples were truncated' });
    run.apply({ type: 'step', metrics: metrics(5, Number.NaN), elapsedSeconds: 3, etaSeconds: 3, totalSteps: 10 });
    run.apply({ type: 'eval', step: 5, evalLoss: 2.5 });
    run.apply({ type: 'health', reading: diverging });
    run.apply({ type: 'checkpoint', step: 5, path: '/runs/r1/checkpoints/step-5' });
    run.record = { ...run.record, status: 'completed', steps_done: 10 };
    run.logOutcome();

    const sent = log.of('run:log');
    expect(sent.map((l) => l.entry?.code ?? null)).toEqual(['backend', 'started', null, 'step', 'eval', 'health', 'checkpoint', 'completed']);
    expect(sent[3]!.line).toMatch(/ step 5\/10 · loss – · lr 2\.00e-3 · 321 tok\/s$/);
    expect(sent[3]!.entry).toEqual({ code: 'step', step: 5, totalSteps: 10, loss: null, lr: 2e-3, tokensPerSecond: 321.4 });
    expect(sent[1]!.entry).toEqual({ code: 'started', parameters: 1234, trainExamples: 20, evalExamples: 4, totalSteps: 10, startStep: 0 });
    expect(sent[5]!.entry).toEqual({ code: 'health', reading: diverging });
    expect(sent[7]!.line).toMatch(/ completed after 10 steps$/);

    const detail = run.detail();
    expect(detail.logs).toHaveLength(9);
    expect(detail.logEntries).toEqual([null, ...sent.map((l) => l.entry ?? null)]);
    // What crosses the wire is JSON: the NaN loss is null in the entry, not lost.
    expect(JSON.parse(JSON.stringify(detail.logEntries))[4]).toMatchObject({ code: 'step', loss: null });
  });

  it('promises a checkpoint on Stop only once a step was taken', () => {
    const log = new EventLog();
    const early = liveRun(log);
    early.logStopping();
    expect(log.of('run:log').at(-1)).toMatchObject({ entry: { code: 'stopping', checkpoint: false } });
    expect(log.of('run:log').at(-1)!.line).not.toContain('checkpoint');
    early.record = { ...early.record, status: 'stopped' };
    early.logOutcome();
    expect(log.of('run:log').at(-1)).toMatchObject({ entry: { code: 'stopped', step: 0, resumable: false } });

    const later = liveRun(log);
    later.apply({ type: 'progress', step: 3, totalSteps: 10, elapsedSeconds: 2, etaSeconds: 5 });
    later.logStopping();
    expect(log.of('run:log').at(-1)).toMatchObject({ entry: { code: 'stopping', checkpoint: true } });
    expect(log.of('run:log').at(-1)!.line).toContain('a checkpoint is saved to resume from');
  });
});
