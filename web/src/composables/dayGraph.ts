// The instances of one bizdate with their dependency edges, for the DAG view
// and the Gantt chart (GET …/ops/daygraph). synthetic(n) builds a layered
// graph of n nodes in the browser to measure the DAG view's rendering.
import { ref } from 'vue'
import { api, enc, type S } from '../api/client'

export type DayGraph = S['DayGraph']

// Fill colours of instance states, shared by the DAG view and the Gantt chart.
export const stateColor: Record<string, string> = {
  waiting: '#e5e7eb', ready: '#bfdbfe', queued: '#bfdbfe', running: '#60a5fa', success: '#86efac',
  failed: '#fca5a5', killed: '#fdba74', skipped: '#d1d5db', upstream_failed: '#fecaca',
}

export function synthetic(n: number): DayGraph {
  const states = Object.keys(stateColor)
  const width = Math.max(1, Math.round(Math.sqrt(n) * 2))
  const nodes: NonNullable<DayGraph['nodes']> = []
  const edges: NonNullable<DayGraph['edges']> = []
  for (let i = 0; i < n; i++) {
    nodes.push({ id: i + 1, task: `task_${i}`, hour: 0, state: states[i % states.length], attempt: 1, duration_ms: 0 })
    if (i >= width) {
      edges.push({ source: i + 1 - width, target: i + 1 })
      const k = (i * 7) % width
      if (i % 3 === 0 && k > 0) edges.push({ source: i - width + k + 1, target: i + 1 })
    }
  }
  return { date: 'synthetic', nodes, edges, external: 0, truncated: false }
}

export function useDayGraph() {
  const graph = ref<DayGraph | null>(null)
  const err = ref('')
  const loading = ref(false)
  async function load(project: string, date: string, syntheticN = 0) {
    err.value = ''
    loading.value = true
    try {
      graph.value = syntheticN > 0 ? synthetic(syntheticN) : await api.get<DayGraph>(`/projects/${enc(project)}/ops/daygraph`, { date })
    } catch (e) {
      err.value = (e as Error).message
    } finally {
      loading.value = false
    }
  }
  return { graph, err, loading, load }
}
