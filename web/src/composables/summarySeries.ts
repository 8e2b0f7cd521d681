// Turns the grouped ops summary (one row per bizdate and group) into
// ECharts series: one line per group over the business dates.
import type { S } from '../api/client'

export type SummaryRow = S['Summary'] & { group?: string; others?: boolean; cpu_hours?: number }

export const groupKey = (r: SummaryRow) => (r.others ? '\u0000others' : r.group ?? '')

// groupsOf lists the groups by total instances, largest first, others last.
export function groupsOf(rows: SummaryRow[]): string[] {
  const totals = new Map<string, number>()
  for (const r of rows) totals.set(groupKey(r), (totals.get(groupKey(r)) ?? 0) + (r.total ?? 0))
  return [...totals.keys()].sort((a, b) => {
    if (a.startsWith('\u0000') !== b.startsWith('\u0000')) return a.startsWith('\u0000') ? 1 : -1
    return (totals.get(b) ?? 0) - (totals.get(a) ?? 0) || a.localeCompare(b)
  })
}

export function datesOf(rows: SummaryRow[]): string[] {
  return [...new Set(rows.map((r) => r.bizdate ?? ''))].sort()
}

// lines builds one line per group of value(row) per date (null: no point).
export function lines(rows: SummaryRow[], dates: string[], groups: string[], label: (g: string) => string,
  value: (r: SummaryRow) => number | null) {
  const at = new Map<string, SummaryRow>()
  for (const r of rows) at.set(r.bizdate + '|' + groupKey(r), r)
  return groups.map((g) => ({
    name: label(g), type: 'line' as const, connectNulls: true, showSymbol: dates.length < 40,
    data: dates.map((d) => {
      const r = at.get(d + '|' + g)
      return r ? value(r) : null
    }),
  }))
}

// byState sums every group's instances per state and date, one stacked bar
// series per state.
export function byState(rows: SummaryRow[], dates: string[], label: (s: string) => string) {
  const states = new Set<string>()
  const sum = new Map<string, number>()
  for (const r of rows) {
    for (const [st, n] of Object.entries(r.states ?? {})) {
      states.add(st)
      sum.set(r.bizdate + '|' + st, (sum.get(r.bizdate + '|' + st) ?? 0) + n)
    }
  }
  const order = ['success', 'failed', 'upstream_failed', 'killed', 'skipped', 'running', 'queued', 'waiting']
  return [...states].sort((a, b) => order.indexOf(a) - order.indexOf(b)).map((st) => ({
    name: label(st), type: 'bar' as const, stack: 'states',
    data: dates.map((d) => sum.get(d + '|' + st) ?? 0),
  }))
}

export const pct = (v?: number) => (v === undefined || v < 0 ? null : Math.round(v * 1000) / 10)
export const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits
