/**
 * Breadth-first walk shared by both {@link ProcessTree} implementations: every process below `root`,
 * each once (a pid loop from a reused pid cannot make the walk spin), in discovery order.
 */
export async function collectDescendants(
  root: number,
  childrenOf: (pid: number) => readonly number[] | Promise<readonly number[]>,
): Promise<number[]> {
  const out: number[] = [];
  const seen = new Set<number>([root]);
  for (let frontier = [root]; frontier.length > 0; ) {
    const next: number[] = [];
    for (const parent of frontier) {
      for (const child of await childrenOf(parent)) {
        if (seen.has(child)) continue;
        seen.add(child);
        out.push(child);
        next.push(child);
      }
    }
    frontier = next;
  }
  return out;
}
