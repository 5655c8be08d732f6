/**
 * What our ops need to know of tfjs's gradient tape, which tfjs does not expose: whether a gradient is being
 * taken (ops that can do backward work early only do it then), and a way to take a gradient inside a backward pass.
 */
import * as tf from '../backend/tf';

interface EngineState {
  activeTape: unknown;
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
