/**
 * The board says the engine's health readings in the user's language from their kind and numbers: in English
 * it reads as the engine's own message and advice (the reference wording), for every kind, also after the
 * reading crossed JSON (where NaN becomes null); in Chinese it carries the same numbers.
 */
import { describe, expect, it } from 'vitest';
import { HealthMonitor } from '../../src-main/engine/train/health-monitor';
import type { HealthReading } from '../../src-main/protocol/engine-types';
import { en, type MessageKey } from '../../src-renderer/i18n/en';
import { describeHealth } from '../../src-renderer/i18n/health-text';
import type { Translate } from '../../src-renderer/i18n/locale-state.svelte';
import { zhCN } from '../../src-renderer/i18n/zh-CN';

const translator =
  (catalog: Record<MessageKey, string>): Translate =>
  (key, params) =>
    catalog[key].replace(/\{(\w+)\}/g, (whole, name: string) => (params && name in params ? String(params[name]) : whole));

/** The engine's sentence as the board shows it: capitalised, with a full stop. */
const sentence = (message: string) => `${message[0]!.toUpperCase()}${message.slice(1)}.`;

/** Readings from the engine's own monitor, fed the curves that make each one. */
function engineReadings(): HealthReading[] {
  const out: HealthReading[] = [];
  const rising = new HealthMonitor({ learningRate: 0.5, maxGradNorm: 1, totalSteps: 100 });
  for (let step = 1; step <= 12; step++) out.push(...rising.step(step, 2 + step * 0.4, 1, 50));

  const flat = new HealthMonitor({ learningRate: 1e-6, maxGradNorm: 1, totalSteps: 60 });
  for (let step = 1; step <= 40; step++) out.push(...flat.step(step, 2.5 + (step % 2) * 0.001, 1, 50));

  const spiky = new HealthMonitor({ learningRate: 1e-4, maxGradNorm: 1, totalSteps: 100 });
  for (let step = 1; step <= 15; step++) out.push(...spiky.step(step, 2 - step * 0.01, 1.2, 50));
  out.push(...spiky.step(16, 1.8, 40, 50));
  const unclipped = new HealthMonitor({ learningRate: 1e-4, maxGradNorm: 0, totalSteps: 100 });
  for (let step = 1; step <= 15; step++) out.push(...unclipped.step(step, 2 - step * 0.01, 1.2, 50));
  out.push(...unclipped.step(16, 1.8, 40, 50));

  const memorising = new HealthMonitor({ learningRate: 1e-3, maxGradNorm: 1, totalSteps: 100 });
  for (let step = 1; step <= 10; step++) out.push(...memorising.step(step, 3 - step * 0.05, 1, 50));
  out.push(...memorising.evaluation(10, 2.6));
  for (let step = 11; step <= 40; step++) out.push(...memorising.step(step, 3 - step * 0.05, 1, 50));
  out.push(...memorising.evaluation(40, 3.2));

  const broken = new HealthMonitor({ learningRate: 0.3, maxGradNorm: 1, totalSteps: 100 });
  broken.noteCheckpoint(20);
  out.push(broken.step(23, Number.NaN, 1, 50)[0]!);
  const restart = new HealthMonitor({ learningRate: 0.3, maxGradNorm: 1, totalSteps: 100 });
  out.push(restart.step(3, 2.1, Number.POSITIVE_INFINITY, 50)[0]!);
  return out;
}

describe('health readings in words', () => {
  const readings = engineReadings();

  it('the engine gives a reading of every kind for these curves', () => {
    expect(readings.map((r) => r.kind).sort()).toEqual(['diverging', 'grad-spike', 'grad-spike', 'non-finite', 'non-finite', 'not-moving', 'overfitting']);
  });

  it("reads in English as the engine's message and advice, before and after JSON", () => {
    const t = translator(en);
    for (const reading of readings) {
      const overJson = JSON.parse(JSON.stringify(reading)) as HealthReading;
      // An infinity is null after JSON like a NaN: only the engine's own NaN survives the trip word for word.
      const forms = reading.kind === 'non-finite' && Object.values(reading.values).some((v) => v === Number.POSITIVE_INFINITY) ? [reading] : [reading, overJson];
      for (const form of forms) expect(describeHealth(form, t), reading.kind).toEqual({ message: sentence(reading.message), advice: reading.advice });
    }
  });

  it('carries the same numbers in Chinese', () => {
    const t = translator(zhCN);
    const diverging = readings.find((r) => r.kind === 'diverging')!;
    const text = describeHealth(JSON.parse(JSON.stringify(diverging)) as HealthReading, t);
    expect(text.message).toBe(`损失在上升：第 ${diverging.step} 步为 ${diverging.values['loss']!.toFixed(3)}，开始时为 ${diverging.values['start']!.toFixed(3)}。`);
    expect(text.advice).toBe('请降低学习率（当前为 0.500），可以试试 0.050。');
    const nan = describeHealth(JSON.parse(JSON.stringify(readings.find((r) => r.kind === 'non-finite')!)) as HealthReading, t);
    expect(nan.message).toBe('第 23 步损失变成了 NaN（非数值），训练已停止。');
    expect(nan.advice).toContain('从最后一个正常的检查点（第 20 步）继续训练');
  });
});
