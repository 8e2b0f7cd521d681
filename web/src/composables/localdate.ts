// Dates as the browser's local calendar has them (YYYY-MM-DD):
// toISOString() would give the UTC date, a day off for part of the day
// east or west of Greenwich.
export function localDate(d: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

// daysAgo is the local date n days before today (calendar days, so a
// daylight-saving change does not skip or repeat one).
export function daysAgo(n: number): string {
  const d = new Date()
  d.setDate(d.getDate() - n)
  return localDate(d)
}
