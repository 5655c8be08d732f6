/**
 * Plain data that crosses process boundaries (engine → main → renderer, and CLI --json output).
 * No engine or Node imports: the renderer imports this file too.
 */

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'auto';

export interface BackendReport {
  readonly name: BackendName;
  readonly device: string;
  readonly skipped: ReadonlyArray<{ readonly name: BackendName; readonly reason: string }>;
}

export interface ModelInfo {
  readonly dir: string;
  readonly architecture: string;
  readonly modelType: string;
  readonly layers: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  readonly maxPositionEmbeddings: number;
  readonly tiedEmbeddings: boolean;
  readonly parameters: number;
  /** float32, float16 or bfloat16, as config.json names it. */
  readonly dtype: string;
  /** Bytes of the weights as stored. */
  readonly bytes: number;
  readonly files: number;
  readonly chatTemplate: boolean;
  /** Module names LoRA can target in this architecture (q_proj, ..., down_proj). */
  readonly linearLayers: readonly string[];
}
