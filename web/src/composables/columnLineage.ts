// Column-level lineage of a table page: tables with the columns that have
// edges, column-to-column edges, expanded node by node from the graph API
// (level=column), and the upstream/downstream path of a picked column.
import { computed, ref } from 'vue'
import { api, enc, type S } from '../api/client'

export type ColEdge = { source: string; target: string; task?: string }

// split reads "schema.table.col" as ["schema.table", "col"].
export function split(id: string): [string, string] {
  const i = id.lastIndexOf('.')
  return i < 0 ? ['', id] : [id.slice(0, i), id.slice(i + 1)]
}

export const edgeKey = (e: ColEdge) => `${e.source}>${e.target}`

// pathOf walks edges from col both ways: the columns and edges upstream and
// downstream of it (col itself not counted).
export function pathOf(col: string, edges: Iterable<ColEdge>) {
  const up = new Map<string, ColEdge[]>()
  const down = new Map<string, ColEdge[]>()
  for (const e of edges) {
    if (!down.has(e.source)) down.set(e.source, [])
    down.get(e.source)!.push(e)
    if (!up.has(e.target)) up.set(e.target, [])
    up.get(e.target)!.push(e)
  }
  const onPath = new Set<string>()
  const walk = (adj: Map<string, ColEdge[]>, next: (e: ColEdge) => string) => {
    const seen = new Set<string>([col])
    const todo = [col]
    while (todo.length) {
      for (const e of adj.get(todo.pop()!) ?? []) {
        onPath.add(edgeKey(e))
        const n = next(e)
        if (!seen.has(n)) {
          seen.add(n)
          todo.push(n)
        }
      }
    }
    seen.delete(col)
    return seen
  }
  const ups = walk(up, (e) => e.source)
  const downs = walk(down, (e) => e.target)
  return { up: ups, down: downs, edges: onPath }
}

export function useColumnLineage(project: () => string, root: string) {
  const tables = ref(new Map<string, Set<string>>()) // table → columns with edges
  const edges = ref(new Map<string, ColEdge>())
  const expanded = ref(new Set<string>())
  const catalog = ref(new Map<string, string[]>()) // table → every column, from the catalog
  const selected = ref('')
  const err = ref('')
  const base = () => `/projects/${enc(project())}/lineage/graph`

  function addTable(t: string) {
    if (!tables.value.has(t)) tables.value.set(t, new Set())
  }
  function merge(g: S['Subgraph']) {
    for (const n of g.nodes ?? []) {
      if (!n.id) continue
      const [t, c] = split(n.id)
      addTable(t)
      tables.value.get(t)!.add(c)
    }
    for (const e of g.edges ?? []) {
      if (!e.source || !e.target) continue
      for (const id of [e.source, e.target]) {
        const [t, c] = split(id)
        addTable(t)
        tables.value.get(t)!.add(c)
      }
      edges.value.set(edgeKey(e as ColEdge), { source: e.source, target: e.target, task: e.task })
    }
    tables.value = new Map(tables.value)
    edges.value = new Map(edges.value)
  }
  async function fetchBoth(node: string, depth: number, level?: string) {
    const q = { node, depth, level }
    const [up, down] = await Promise.all([
      api.get<S['Subgraph']>(base(), { ...q, direction: 'up' }),
      api.get<S['Subgraph']>(base(), { ...q, direction: 'down' }),
    ])
    merge(up)
    merge(down)
  }
  // expand adds a table's column edges one step up and down.
  async function expand(table: string) {
    if (expanded.value.has(table)) return
    expanded.value = new Set(expanded.value).add(table)
    addTable(table)
    tables.value = new Map(tables.value)
    try {
      await fetchBoth(table, 1, 'column')
    } catch (e) {
      err.value = (e as Error).message
    }
  }
  // select picks a column (again: unpicks it) and loads its whole path, so
  // the highlight reaches past the tables expanded so far.
  async function select(col: string) {
    if (selected.value === col) {
      selected.value = ''
      return
    }
    selected.value = col
    try {
      await fetchBoth(col, 0)
    } catch (e) {
      err.value = (e as Error).message
    }
  }
  // loadCatalog reads every table's columns once, for "show all columns".
  async function loadCatalog() {
    if (catalog.value.size) return
    try {
      const ts = (await api.get<S['CatalogTables']>(`/projects/${enc(project())}/datamap/tables`)).tables ?? []
      const m = new Map<string, string[]>()
      for (const x of ts) {
        const name = (x.schema ? `${x.schema}.${x.name}` : x.name ?? '').toLowerCase()
        m.set(name, (x.columns ?? []).map((c) => (c.name ?? '').toLowerCase()))
      }
      catalog.value = m
    } catch (e) {
      err.value = (e as Error).message
    }
  }
  const path = computed(() => (selected.value ? pathOf(selected.value, edges.value.values()) : null))
  // columns lists what a table node shows: the columns with edges, in
  // catalog order where known; all: every catalogued column too.
  function columns(table: string, all: boolean) {
    const linked = tables.value.get(table) ?? new Set<string>()
    const known = catalog.value.get(table) ?? []
    const shown = known.filter((c) => all || linked.has(c))
    for (const c of [...linked].sort()) if (!shown.includes(c)) shown.push(c)
    return { shown, hidden: all ? 0 : known.filter((c) => !linked.has(c)).length }
  }
  addTable(root)
  return { tables, edges, expanded, selected, path, err, expand, select, loadCatalog, columns }
}
