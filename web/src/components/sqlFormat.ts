// Formats the SQL of a task file with sql-formatter (loaded on first use,
// only the DuckDB, PostgreSQL and MySQL dialects). A leading /* kiln … */
// settings header is kept byte for byte; only the body after it is
// formatted. ${param} and {{ ds }} references are kept as written.

// splitHeader returns the /* kiln … */ block (with what precedes it) and the
// SQL after it; the header is '' when the file has none.
export function splitHeader(text: string): { header: string; body: string } {
  const m = /^\s*\/\*\s*kiln(?=[\s*])/.exec(text)
  if (!m) return { header: '', body: text }
  const end = text.indexOf('*/', m[0].length)
  if (end < 0) return { header: '', body: text }
  return { header: text.slice(0, end + 2), body: text.slice(end + 2) }
}

// dialectOf maps an engine kind to a formatter dialect.
export function dialectOf(kind?: string): 'duckdb' | 'postgresql' | 'mysql' {
  return kind === 'postgres' ? 'postgresql' : kind === 'mysql' ? 'mysql' : 'duckdb'
}

// formatTaskSQL formats the body of a SQL task file (or a plain query).
// It throws the formatter's message when the SQL cannot be parsed.
export async function formatTaskSQL(text: string, kind?: string): Promise<string> {
  const f = await import('sql-formatter')
  const dialects = { duckdb: f.duckdb, postgresql: f.postgresql, mysql: f.mysql }
  const { header, body } = splitHeader(text)
  if (!body.trim()) return text
  // References become plain identifiers while formatting, so that one
  // glued to a name (orders_${bizdate_nodash}) stays one token.
  const refs: string[] = []
  const masked = body.replace(/\$?\$\{[^{}]*\}|\{\{[^{}]*\}\}/g, (r) => `__kiln_ref_${refs.push(r) - 1}__`)
  const out = f.formatDialect(masked, { dialect: dialects[dialectOf(kind)], keywordCase: 'upper', tabWidth: 2, linesBetweenQueries: 1 })
  const back = out.replace(/__kiln_ref_(\d+)__/g, (_, i: string) => refs[Number(i)])
  return (header ? header + '\n' : '') + back.trim() + '\n'
}
