// A table's quality rules and their results, grouped by rule for charts.
import { computed, ref } from 'vue'
import { api, enc, type S } from '../api/client'

export type Rule = S['QualityRuleView']
export type Result = S['QualityResult']

export function useQuality() {
  const rules = ref<Rule[]>([])
  const results = ref<Result[]>([])
  const err = ref('')
  // Tables that have rules or results, for the picker.
  const tables = computed(() => [...new Set([...rules.value.map((r) => r.rule?.table ?? ''), ...results.value.map((r) => r.table ?? '')].filter(Boolean))].sort())
  async function loadRules(project: string) {
    try {
      rules.value = (await api.get<Rule[]>(`/projects/${enc(project)}/quality/rules`)) ?? []
    } catch (e) {
      err.value = (e as Error).message
    }
  }
  // seq numbers the result loads: only the newest one's reply is kept, so a
  // late answer for a table picked before never replaces the current one.
  let seq = 0
  async function loadResults(project: string, table: string) {
    const my = ++seq
    err.value = ''
    try {
      const rs = (await api.get<Result[]>(`/projects/${enc(project)}/quality/results`, { table, limit: 1000 })) ?? []
      if (my === seq) results.value = rs
    } catch (e) {
      if (my === seq) err.value = (e as Error).message
    }
  }
  // clearResults drops the charts (no table picked) and any load under way.
  function clearResults() {
    seq++
    results.value = []
    err.value = ''
  }
  // byRule: each rule's results oldest first (the API lists newest first).
  const byRule = computed(() => {
    const m = new Map<string, Result[]>()
    for (const r of results.value) {
      const k = `${r.task}/${r.rule}`
      if (!m.has(k)) m.set(k, [])
      m.get(k)!.push(r)
    }
    for (const v of m.values()) v.reverse()
    return m
  })
  return { rules, results, tables, byRule, err, loadRules, loadResults, clearResults }
}
