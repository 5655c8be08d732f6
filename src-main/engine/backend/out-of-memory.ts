/**
 * Running out of memory, recognised where it really happens, each backend's way (the texts below are the ones
 * each produced when made to run out):
 *
 *   memory limit  our own OutOfMemoryError, thrown where an allocation would pass TUNEBOARD_MEMORY_LIMIT
 *   webgpu        Dawn's GPUOutOfMemoryError (an uncaptured error, device-health.ts passes it on); tfjs's upload
 *                 into a buffer mapped at creation: RangeError "createBuffer failed to allocate a buffer mapped at
 *                 creation." (Dawn printing "Failed to allocate memory to map ErrorBuffer at creation."); a device
 *                 lost with a memory reason
 *   wasm          tfjs-wasm's heap is 32-bit: past 4 GiB its malloc aborts, RuntimeError "Aborted(). Build with
 *                 -sASSERTIONS for more info.", or fails inside with RuntimeError "memory access out of bounds";
 *                 neither names memory, so they count as such only with the heap near its limit (both came at
 *                 3.9 GiB). The module is unusable afterwards: the host runs each training in a process of its own.
 *   the process   V8 cannot get memory for an ArrayBuffer: RangeError "Array buffer allocation failed"; nor for a
 *                 wasm instance: RangeError "WebAssembly.instantiate(): Out of memory: Cannot allocate Wasm memory
 *                 for new instance"
 *   tensorflow    TensorFlow's allocators: "OOM when allocating tensor with shape[...]" (ResourceExhausted)
 *
 * A process that dies from memory (V8's "JavaScript heap out of memory", the kernel's OOM killer) cannot say so
 * itself: the host tells it from the way it ended (runs/engine-connection.ts).
 */
import type { BackendName } from '../../protocol/engine-types';
import * as tf from './tf';

/** Where memory ran out: the backend's device (GPU memory, the wasm heap; RAM on cpu), or the process's RAM. */
export type MemoryPlace = 'device' | 'process';

export class OutOfMemoryError extends Error {
  override readonly name = 'OutOfMemoryError';
  constructor(
    message: string,
    readonly place: MemoryPlace,
    /** What the failed allocation would have brought the total to, where that is known (the memory limit). */
    readonly neededBytes: number | null = null,
    /** The memory limit that refused it, when it was the limit. */
    readonly limitBytes: number | null = null,
  ) {
    super(message);
  }
}

/** The wasm heap's most: 4 GiB less one 64 KiB page (emscripten's getHeapMax). */
const WASM_HEAP_MAX = 4294901760;
/** tfjs-wasm's aborts count as memory once its heap has grown past this share of the most it can be. */
const WASM_HEAP_FULL = 0.75;

/** `err` as an out-of-memory error when it is one, else null. `backend`: the backend the failing work ran on. */
export function recogniseOutOfMemory(err: unknown, backend: BackendName | null): OutOfMemoryError | null {
  if (err instanceof OutOfMemoryError) return err;
  const name = errorName(err);
  const message = errorMessage(err);
  if (name === 'GPUOutOfMemoryError') return new OutOfMemoryError(firstLine(message) || 'the GPU is out of memory', 'device');
  if (name === 'RangeError' && /^Array buffer allocation failed|^WebAssembly\.\w+\(\): Out of memory/.test(message)) return new OutOfMemoryError(message, 'process');
  if (name === 'RangeError' && /failed to allocate a buffer mapped at creation/.test(message)) return new OutOfMemoryError(message, 'device');
  if (/^OOM when allocating tensor/m.test(message)) return new OutOfMemoryError(firstLine(message), 'device');
  if (backend === 'wasm' && name === 'RuntimeError' && /^Aborted\(|^memory access out of bounds/.test(message) && wasmHeapBytes() >= WASM_HEAP_FULL * WASM_HEAP_MAX) {
    return new OutOfMemoryError(message, 'device');
  }
  return null;
}

/** A lost GPU device's message when it names memory as the reason ("out of memory", Vulkan's OUT_OF_DEVICE_MEMORY). */
export function lostForMemory(message: string): boolean {
  return /out[ _]of[ _](device[ _]|host[ _])?memory|\bOOM\b/i.test(message);
}

/** The wasm backend's heap as it has grown so far; 0 when wasm is not the backend in use. */
function wasmHeapBytes(): number {
  const backend = tf.findBackend('wasm') as unknown as { wasm?: { HEAPU8?: Uint8Array } } | null;
  return backend?.wasm?.HEAPU8?.length ?? 0;
}

function errorName(err: unknown): string {
  if (err instanceof Error) return err.constructor.name === 'Error' ? err.name : err.constructor.name;
  return (err as { constructor?: { name?: string } } | null)?.constructor?.name ?? '';
}

function errorMessage(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
