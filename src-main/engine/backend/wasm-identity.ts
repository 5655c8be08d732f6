/**
 * tfjs saves each tensor a custom gradient needs by cloning it (its Identity kernel), and the wasm backend's
 * Identity copies the data where the cpu and webgpu backends share it. Training saves every layer's inputs that
 * way, so on wasm each was held twice (or three times, for the input q, k and v all save): the demo model kept
 * 16 MB of copies at the LM head of a 2 x 128 step. Tensors never change once made, so a clone can share its
 * buffer, counted by the wasm backend's own reference count, as Reshape's output already does.
 */
import * as tf from './tf';

interface RefCountingBackend {
  incRef(dataId: object): void;
}

export function shareClonesOnWasm(): void {
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs['x'] as tf.TensorInfo;
      (backend as unknown as RefCountingBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}
