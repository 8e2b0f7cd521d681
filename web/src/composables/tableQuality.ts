// The quality rules that measure one table, each with its latest result.
// A rule measures its own table, or else the target of its task.
import { ref } from 'vue'
import { api, enc, type S } from '../api/client'

export type TableRule = { rule: S['QualityRuleView']; latest?: S['QualityResult'] }

export function useTableQuality() {
  const rules = ref<TableRule[]>([])
  const err = ref('')
  // seq numbers the loads: only the newest one's reply is kept, so a late
  // answer for a table left behind never shows under another one.
  let seq = 0
  function clear() {
    seq++
    rules.value = []
    err.value = ''
  }
  // producers are the tasks writing the table, whose rules without a table
  // of their own measure it.
  async function load(project: string, table: string, producers: string[]) {
    const my = ++seq
    err.value = ''
    try {
      const p = `/projects/${enc(project)}/quality`
      const [rs, results] = await Promise.all([
        api.get<S['QualityRuleView'][]>(`${p}/rules`),
        api.get<S['QualityResult'][]>(`${p}/results`, { table, limit: 500 }),
      ])
      if (my !== seq) return
      const latest = new Map<string, S['QualityResult']>()
      for (const r of results ?? []) { // newest first
        const k = `${r.task}/${r.rule}`
        if (!latest.has(k)) latest.set(k, r)
      }
      const t = table.toLowerCase()
      rules.value = (rs ?? [])
        .filter((r) => (r.rule?.table ? r.rule.table.toLowerCase() === t : producers.includes(r.task ?? '')))
        .map((r) => ({ rule: r, latest: latest.get(`${r.task}/${r.name}`) }))
    } catch (e) {
      if (my === seq) err.value = (e as Error).message
    }
  }
  return { rules, err, load, clear }
}
