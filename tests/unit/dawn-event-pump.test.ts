/** The setImmediate given to Dawn's event polling: back to back for a short wait, then a millisecond apart. */
import { expect, test } from 'vitest';
import { installDawnEventPump } from '../../src-main/engine/backend/dawn-event-pump';

installDawnEventPump();

/** Calls setImmediate in a chain, as Dawn polls, for `ms`; resolves to the time of each call. */
function chain(ms: number): Promise<number[]> {
  return new Promise((done) => {
    const times: number[] = [];
    const tick = () => {
      times.push(performance.now());
      if (times.at(-1)! - times[0]! < ms) setImmediate(tick);
      else done(times);
    };
    setImmediate(tick);
  });
}

test('a chain of setImmediate calls runs back to back for its first 2 ms, then a millisecond apart', async () => {
  const times = await chain(30);
  const start = times[0]!;
  // Back to back: microseconds apart (thousands in 30 ms without the pump).
  expect(times.filter((t) => t - start < 2).length).toBeGreaterThan(10);
  // Then paced by 1 ms timers (which Node counts from its loop's clock, so two can fall closer together).
  const paced = times.filter((t) => t - start > 3);
  expect(paced.length).toBeGreaterThan(5);
  expect(paced.length).toBeLessThan(60);
});

test('a lone setImmediate is not deferred; a deferred call can be cleared', async () => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  const lone = setImmediate(() => {});
  expect(lone.constructor.name).toBe('Immediate');

  let ran = false;
  const deferred = await new Promise<NodeJS.Immediate>((done) => {
    const start = performance.now();
    const tick = () => {
      if (performance.now() - start < 4) return void setImmediate(tick);
      done(setImmediate(() => (ran = true)));
    };
    setImmediate(tick);
  });
  expect(deferred.constructor.name).toBe('Timeout');
  clearImmediate(deferred);
  await new Promise((resolve) => setTimeout(resolve, 5));
  expect(ran).toBe(false);
});
