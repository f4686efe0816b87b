/** A value computed on the first call and kept: for work that only some paths read. */
export function once<T>(compute: () => T): () => T {
  let computed: { readonly value: T } | null = null;
  return () => {
    if (computed === null) computed = { value: compute() };
    return computed.value;
  };
}
