/**
 * Dawn's Node bindings wait for the GPU (a buffer mapped for reading, a timestamp query) by calling the global
 * setImmediate again and again, each callback checking Dawn's events and calling setImmediate anew, until the
 * GPU answers: a CPU core spins for the whole wait, and every call leaves garbage to collect. A 5-step demo
 * bench on lavapipe made 3.2 million calls. Installed once webgpu runs, this setImmediate lets such a chain (a
 * call made from within a callback it scheduled) run back to back for its first SPIN_MS, so short waits (a
 * tuning's timings) answer as before, and then defers each call by a millisecond. A call from anywhere else
 * (the trainer's pause between steps) starts a chain of its own: never deferred.
 */
const SPIN_MS = 2;

let installed = false;

export function installDawnEventPump(): void {
  if (installed) return;
  installed = true;
  const immediate = globalThis.setImmediate;
  const clearImmediate = globalThis.clearImmediate;
  const deferred = new WeakSet<object>();
  /** When the chain of the callback running now began; null outside our callbacks. */
  let chainStart: number | null = null;
  const paced = (callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    const start = chainStart ?? performance.now();
    const run = () => {
      chainStart = start;
      try {
        callback(...args);
      } finally {
        chainStart = null;
      }
    };
    if (performance.now() - start < SPIN_MS) return immediate(run);
    const timer = setTimeout(run, 1);
    deferred.add(timer);
    return timer as unknown as NodeJS.Immediate;
  };
  globalThis.setImmediate = Object.assign(paced, { __promisify__: immediate.__promisify__ }) as typeof setImmediate;
  // Node's clearImmediate expects its own kind of handle.
  globalThis.clearImmediate = (handle) => (handle && deferred.has(handle) ? clearTimeout(handle as unknown as NodeJS.Timeout) : clearImmediate(handle));
}
