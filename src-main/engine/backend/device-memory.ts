/** What a backend can hold at most, where it has a hard limit. */

/** wasm's heap is 32-bit: every tensor must fit in 4 GiB together. Other backends have no such hard limit. */
export function tensorMemoryLimit(name: string): number | null {
  return name === 'wasm' ? 4 * 2 ** 30 : null;
}
