/**
 * What our ops need to know of tfjs's gradient tape, which tfjs does not expose: whether a gradient is being
 * taken (ops that can do backward work early only do it then), and a way to take a gradient inside a backward pass.
 */
import * as tf from '../backend/tf';

interface EngineState {
  activeTape: Array<{ saved?: tf.Tensor[] }> | null;
  gradientDepth: number;
}

const state = () => (tf.engine() as unknown as { state: EngineState }).state;

/** True inside tf.grad/tf.variableGrads, where the op's output will be differentiated; false in eval and generation. */
export function recordingGradients(): boolean {
  return state().gradientDepth > 0;
}

/**
 * tfjs keeps one gradient tape; a gradient taken inside a backward pass would end the outer one
 * (`activeTape = null`) while the outer pass still needs it. Keep the outer tape aside meanwhile.
 */
export function withOwnTape<T>(fn: () => T): T {
  const outer = state().activeTape;
  try {
    return fn();
  } finally {
    state().activeTape = outer;
  }
}

/**
 * Takes a gradient with `fn` (tf.variableGrads and the like). When it fails midway (out of memory), the tensors
 * kept for a backward pass that will not come are freed and the tape dropped: those tfjs's tape saved, and those
 * a custom op saved before its own output failed, which tfjs keeps with no tape node to free them by. Every
 * tensor kept during a gradient is one of these (a finished gradient frees them all), so all that are left go.
 */
export function freeingTapeOnFailure<T>(fn: () => T): T {
  const engine = tf.engine() as unknown as { keep<K extends tf.Tensor>(tensor: K): K };
  const kept: tf.Tensor[] = [];
  const own = engine.keep;
  const keep = own.bind(engine);
  engine.keep = (tensor) => {
    kept.push(tensor);
    return keep(tensor);
  };
  try {
    return fn();
  } catch (err) {
    tf.dispose(kept.filter((t) => !t.isDisposed));
    if (state().gradientDepth === 0) state().activeTape = null;
    throw err;
  } finally {
    engine.keep = own;
  }
}
