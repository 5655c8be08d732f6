/** The engine's data layer: dataset files and registry to conversations, tokens, validation split and batches. */
export { type BadRow, type Conversation, type DatasetFormat } from './conversation';
export { resolveDatasetSource, type DatasetSource } from './dataset-source';
export { listBadRows, loadDataset, type LoadedDataset } from './load-dataset';
export { supervisedTargets, tokenizeConversation, type TokenizedExample } from './tokenize';
export { splitValidation } from './split';
export { collate, padTokenId, type Batch } from './batches';
export { previewDataset } from './preview';
