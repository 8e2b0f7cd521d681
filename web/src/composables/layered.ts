// A fast layered layout for large DAGs (dagre takes seconds beyond a few
// hundred nodes): rank = longest path from a source, order within a rank by
// a few barycenter sweeps, then a grid. O(sweeps · edges).
export type XY = { x: number; y: number }

export function layered(ids: string[], edges: { source: string; target: string }[], w: number, h: number, gapX = 50, gapY = 10): Map<string, XY> {
  const ups = new Map<string, string[]>(ids.map((i) => [i, []]))
  const downs = new Map<string, string[]>(ids.map((i) => [i, []]))
  for (const e of edges) {
    if (!ups.has(e.target) || !downs.has(e.source)) continue
    ups.get(e.target)!.push(e.source)
    downs.get(e.source)!.push(e.target)
  }
  // Longest-path ranks in topological order (Kahn); a cycle's nodes keep rank 0.
  const indeg = new Map(ids.map((i) => [i, ups.get(i)!.length]))
  const rank = new Map(ids.map((i) => [i, 0]))
  const queue = ids.filter((i) => indeg.get(i) === 0)
  for (let q = 0; q < queue.length; q++) {
    const u = queue[q]
    for (const d of downs.get(u)!) {
      rank.set(d, Math.max(rank.get(d)!, rank.get(u)! + 1))
      indeg.set(d, indeg.get(d)! - 1)
      if (indeg.get(d) === 0) queue.push(d)
    }
  }
  const layers: string[][] = []
  for (const i of ids) (layers[rank.get(i)!] ??= []).push(i)
  const pos = new Map<string, number>()
  const index = () => layers.forEach((l) => l?.forEach((id, k) => pos.set(id, k)))
  index()
  const bary = (id: string, nb: Map<string, string[]>) => {
    const ns = nb.get(id)!
    return ns.length ? ns.reduce((a, n) => a + pos.get(n)!, 0) / ns.length : pos.get(id)!
  }
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0
    const order = down ? layers.keys() : [...layers.keys()].reverse()
    for (const r of order) {
      const l = layers[r]
      if (!l) continue
      const b = new Map(l.map((id) => [id, bary(id, down ? ups : downs)]))
      l.sort((a, c) => b.get(a)! - b.get(c)!)
      l.forEach((id, k) => pos.set(id, k))
    }
  }
  const out = new Map<string, XY>()
  layers.forEach((l, r) => l?.forEach((id, k) => out.set(id, { x: r * (w + gapX), y: (k - l.length / 2) * (h + gapY) })))
  return out
}
