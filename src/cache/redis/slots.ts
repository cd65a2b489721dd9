/**
 * The hash tag Redis Cluster hashes a key by: the text between the first `{` and the
 * next `}`, when not empty; otherwise the whole key.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  if (close <= open + 1) return key;
  return key.slice(open + 1, close);
}

/**
 * Splits item indexes into groups whose keys share a slot. Outside a Cluster every key
 * goes in one group, so a multi-key read is one MGET.
 */
export function groupBySlot(keys: readonly string[], cluster: boolean): number[][] {
  if (!cluster) return [keys.map((_, i) => i)];
  const groups = new Map<string, number[]>();
  keys.forEach((key, i) => {
    const tag = hashTagOf(key);
    const group = groups.get(tag);
    if (group) group.push(i);
    else groups.set(tag, [i]);
  });
  return [...groups.values()];
}
