/**
 * The label of a position that is not trained on (PyTorch's cross-entropy `ignore_index`, which transformers and
 * LLaMA-Factory write into `labels`): the data layer writes it, the loss skips it.
 */
export const IGNORE_INDEX = -100;
