/**
 * Dawn's Node bindings wait for the GPU (a buffer mapped for reading, a timestamp query) by calling the global
 * setImmediate again and again, each call checking Dawn's events, until the GPU answers: a CPU core spins for
 * the whole wait, and every call leaves garbage to collect. A 5-step demo bench on lavapipe made 3.2 million
 * calls. Installed once webgpu runs, this setImmediate lets a chain of calls run back to back for its first
 * SPIN_MS (short waits, such as a tuning's timings, answer as before) and then defers each by a millisecond.
 * A lone setImmediate (the trainer's pause between steps) is never deferred.
 */
const SPIN_MS = 2;
/** A call this soon after the previous one continues its chain. */
const CHAIN_GAP_MS = 0.5;

let installed = false;

export function installDawnEventPump(): void {
  if (installed) return;
  installed = true;
  const immediate = globalThis.setImmediate;
  const clearImmediate = globalThis.clearImmediate;
  const deferred = new WeakSet<object>();
  let chainStart = 0;
  let last = -Infinity;
  const paced = (callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    const now = performance.now();
    if (now - last > CHAIN_GAP_MS) chainStart = now;
    last = now;
    if (now - chainStart < SPIN_MS) return immediate(callback, ...args);
    // Counted from when the deferred call runs, so the chain goes on being paced.
    const timer = setTimeout(() => {
      last = performance.now();
      callback(...args);
    }, 1);
    deferred.add(timer);
    return timer as unknown as NodeJS.Immediate;
  };
  globalThis.setImmediate = Object.assign(paced, { __promisify__: immediate.__promisify__ }) as typeof setImmediate;
  globalThis.clearImmediate = (handle) => (handle && deferred.has(handle) ? clearTimeout(handle as unknown as NodeJS.Timeout) : clearImmediate(handle));
}
