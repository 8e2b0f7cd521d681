// SQL completion for Monaco: tables (schema.table) and their columns from
// the catalog, and ${parameters}, from GET …/completions (one request per
// project and engine, kept for the session). Monaco's providers are global
// per language, so one provider is registered per Monaco instance; each
// editor's model is mapped to the project and engine it completes for, so
// several editors and a project switch each get their own tables.
import type * as Monaco from 'monaco-editor/esm/vs/editor/editor.api'
import { api, enc, type S } from '../api/client'

type Completions = S['Completions']
type Table = S['CompletionTable']

// What one model completes against; read on each request, so a changed
// project or engine takes effect at once.
export type CompletionTarget = () => { project: string; engine?: string; describe?: (p: S['CompletionParam']) => string }

const targets = new Map<string, CompletionTarget>() // model URI → target
const cache = new Map<string, Promise<Completions>>() // project|engine → answer
const registered = new WeakSet<object>()

// completionsFor fetches (once per session) what a project and engine offer.
// A failed request is forgotten so that a later one retries.
export function completionsFor(project: string, engine = ''): Promise<Completions> {
  const key = project + '|' + engine
  let p = cache.get(key)
  if (!p) {
    p = api.get<Completions>(`/projects/${enc(project)}/completions`, { engine })
    p.catch(() => cache.delete(key))
    cache.set(key, p)
  }
  return p
}

// forgetCompletions drops the cached answers of a project (after a crawl or
// a new task), or all of them.
export function forgetCompletions(project?: string) {
  for (const k of [...cache.keys()]) if (!project || k.startsWith(project + '|')) cache.delete(k)
}

// attachCompletion makes a model complete against target; the returned
// function detaches it (call it when the editor is disposed).
export function attachCompletion(monaco: typeof Monaco, model: Monaco.editor.ITextModel, target: CompletionTarget): () => void {
  register(monaco)
  const uri = model.uri.toString()
  targets.set(uri, target)
  return () => targets.delete(uri)
}

// Words after which a name is a table, not an alias.
const notAlias = new Set(['where', 'join', 'left', 'right', 'inner', 'outer', 'full', 'cross', 'on', 'using', 'group', 'order',
  'limit', 'union', 'except', 'intersect', 'having', 'window', 'natural', 'lateral', 'as', 'select', 'set', 'qualify', 'offset'])

// aliases maps each name a statement gives a table (alias, bare name and
// schema.name) to the table, for the tables named after FROM and JOIN.
export function aliases(sql: string, tables: Table[]): Map<string, Table> {
  const out = new Map<string, Table>()
  const re = /\b(?:from|join|update|into)\s+([A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?)(?:\s+(?:as\s+)?([A-Za-z_]\w*))?/gi
  for (const m of sql.matchAll(re)) {
    const name = m[1].toLowerCase()
    const t = findTable(name, tables)
    if (!t) continue
    out.set(name, t)
    out.set(t.name!.toLowerCase(), t)
    const alias = m[2]?.toLowerCase()
    if (alias && !notAlias.has(alias)) out.set(alias, t)
  }
  return out
}

// ctes lists the common table expressions a statement defines (WITH a AS
// (…), b (x, y) AS (…)), each with the columns it names: its column list,
// or the names its SELECT list gives (an alias, or a column's last part).
export function ctes(sql: string): Table[] {
  const out: Table[] = []
  for (const m of sql.matchAll(/\bwith\s+(?:recursive\s+)?/gi)) {
    let i = m.index! + m[0].length
    for (;;) {
      const h = /^\s*["`]?([A-Za-z_][\w$]*)["`]?\s*(?:\(([^()]*)\))?\s*as\s+(?:(?:not\s+)?materialized\s+)?\(/i.exec(sql.slice(i))
      if (!h) break
      const start = i + h[0].length
      const end = closing(sql, start)
      const names = h[2] !== undefined ? h[2].split(',').map((x) => x.trim().replace(/^["`]|["`]$/g, '')).filter(Boolean) : selectNames(sql.slice(start, end))
      out.push({ name: h[1], kind: 'WITH', engine: '', columns: names.map((name) => ({ name })) })
      const comma = /^\s*,/.exec(sql.slice(end + 1))
      if (end >= sql.length || !comma) break
      i = end + 1 + comma[0].length
    }
  }
  return out
}

// closing returns the index of the ")" that closes the "(" just before
// start (or the text's length), skipping strings, quoted names and comments.
function closing(sql: string, start: number): number {
  let depth = 1
  for (let i = start; i < sql.length; i++) {
    const c = sql[i]
    if (c === "'" || c === '"' || c === '`') {
      const j = sql.indexOf(c, i + 1)
      if (j < 0) return sql.length
      i = j
    } else if (c === '-' && sql[i + 1] === '-') {
      const j = sql.indexOf('\n', i)
      if (j < 0) return sql.length
      i = j
    } else if (c === '/' && sql[i + 1] === '*') {
      const j = sql.indexOf('*/', i + 2)
      if (j < 0) return sql.length
      i = j + 1
    } else if (c === '(') depth++
    else if (c === ')' && --depth === 0) return i
  }
  return sql.length
}

// withoutComments blanks out -- and /* */ comments outside strings.
function withoutComments(sql: string): string {
  let out = ''
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]
    if (c === "'" || c === '"' || c === '`') {
      const j = sql.indexOf(c, i + 1)
      const e = j < 0 ? sql.length : j + 1
      out += sql.slice(i, e)
      i = e - 1
    } else if (c === '-' && sql[i + 1] === '-') {
      const j = sql.indexOf('\n', i)
      out += ' '
      i = j < 0 ? sql.length : j - 1
    } else if (c === '/' && sql[i + 1] === '*') {
      const j = sql.indexOf('*/', i + 2)
      out += ' '
      i = j < 0 ? sql.length : j + 1
    } else out += c
  }
  return out
}

// topLevel splits text at the commas outside parentheses.
function topLevel(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let from = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === "'" || c === '"' || c === '`') {
      const j = text.indexOf(c, i + 1)
      i = j < 0 ? text.length : j
    } else if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(from, i))
      from = i + 1
    }
  }
  parts.push(text.slice(from))
  return parts
}

// selectNames returns the output names of a query's first SELECT list.
function selectNames(body: string): string[] {
  body = withoutComments(body)
  const sel = /^\s*(?:\(\s*)?select\s+(?:distinct\s+)?/i.exec(body)
  if (!sel) return []
  let list = body.slice(sel[0].length)
  // The list ends at the first FROM (or UNION, WHERE…) outside parentheses.
  let depth = 0
  for (let i = 0; i < list.length; i++) {
    const c = list[i]
    if (c === "'" || c === '"' || c === '`') {
      const j = list.indexOf(c, i + 1)
      i = j < 0 ? list.length : j
    } else if (c === '(') depth++
    else if (c === ')') depth--
    else if (depth === 0 && /\s/.test(list[i - 1] ?? ' ') && /^(from|union|except|intersect|where|group|order|limit|having|window|qualify)\b/i.test(list.slice(i))) {
      list = list.slice(0, i)
      break
    }
  }
  const names: string[] = []
  for (const item of topLevel(list)) {
    const x = item.trim()
    const name = outputName(x)
    if (name) names.push(name)
  }
  return names
}

// outputName is the name a select item gives its column: "… AS n", an
// implicit alias "expr n", or a column's last part "t.c"; none for other
// expressions.
function outputName(item: string): string | undefined {
  const id = '["`]?([A-Za-z_][\\w$]*)["`]?'
  const as = new RegExp('\\bas\\s+' + id + '$', 'i').exec(item)
  if (as) return as[1]
  const col = new RegExp('^(?:[A-Za-z_][\\w$]*\\.)*' + id + '$').exec(item)
  if (col) return col[1]
  const implicit = new RegExp('[\\w)"\'`\\]]\\s+' + id + '$').exec(item)
  if (implicit && !/^(end|null|true|false|desc|asc)$/i.test(implicit[1])) return implicit[1]
  return undefined
}

function full(t: Table): string {
  return t.schema ? `${t.schema}.${t.name}` : t.name!
}

function findTable(name: string, tables: Table[]): Table | undefined {
  return tables.find((t) => full(t).toLowerCase() === name) ?? tables.find((t) => t.name!.toLowerCase() === name)
}

// statementAt is the text of the statement around offset (between ;), so
// that aliases of other statements do not leak in.
function statementAt(text: string, offset: number): string {
  const start = text.lastIndexOf(';', offset - 1) + 1
  const end = text.indexOf(';', offset)
  return text.slice(start, end < 0 ? text.length : end)
}

function register(monaco: typeof Monaco) {
  if (registered.has(monaco)) return
  registered.add(monaco)
  const K = monaco.languages.CompletionItemKind
  monaco.languages.registerCompletionItemProvider('sql', {
    triggerCharacters: ['.', '{', '$'],
    async provideCompletionItems(model, pos) {
      const target = targets.get(model.uri.toString())?.()
      if (!target?.project) return { suggestions: [] }
      let data: Completions
      try {
        data = await completionsFor(target.project, target.engine ?? '')
      } catch {
        return { suggestions: [] }
      }
      const tables = data.tables ?? []
      const line = model.getLineContent(pos.lineNumber)
      const before = line.slice(0, pos.column - 1)
      const after = line.slice(pos.column - 1)

      // ${ → parameters; the closing } is added unless it is there already.
      const p = /\$\{\s*([\w+-]*)$/.exec(before)
      if (p) {
        const range = new monaco.Range(pos.lineNumber, pos.column - p[1].length, pos.lineNumber, pos.column)
        const close = after.startsWith('}') ? '' : '}'
        return {
          suggestions: (data.params ?? []).map((x, i) => ({
            label: '${' + x.name + '}', kind: K.Variable, filterText: x.name!, sortText: String(i).padStart(3, '0'),
            insertText: x.name + close, range,
            detail: x.example ? `= ${x.example}` : x.value ?? '',
            documentation: target.describe?.(x) ?? '',
          })),
        }
      }

      // qualifier. → the columns of the table it names (alias, table or
      // schema.table), or the tables of the schema it names.
      const q = /([A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?)\.(\w*)$/.exec(before)
      if (q) {
        const word = q[2]
        const range = new monaco.Range(pos.lineNumber, pos.column - word.length, pos.lineNumber, pos.column)
        const qual = q[1].toLowerCase()
        const stmt = statementAt(model.getValue(), model.getOffsetAt(pos))
        const t = aliases(stmt, [...ctes(stmt), ...tables]).get(qual) ?? (qual.includes('.') ? findTable(qual, tables) : undefined)
        const suggestions: Monaco.languages.CompletionItem[] = []
        if (t) {
          ;(t.columns ?? []).forEach((c, i) => suggestions.push({
            label: c.name!, kind: K.Field, insertText: c.name!, range, sortText: String(i).padStart(4, '0'),
            detail: c.type ? `${c.type} · ${full(t)}` : full(t), documentation: c.comment ?? '',
          }))
        }
        for (const x of tables) {
          if ((x.schema ?? '').toLowerCase() !== qual) continue
          suggestions.push({ label: x.name!, kind: K.Struct, insertText: x.name!, range, detail: `${x.kind} · ${x.engine}`, documentation: x.comment ?? '' })
        }
        return { suggestions }
      }

      // Anywhere else: tables as schema.table, and the columns of the
      // statement's tables.
      const w = model.getWordUntilPosition(pos)
      const range = new monaco.Range(pos.lineNumber, w.startColumn, pos.lineNumber, w.endColumn)
      const stmt = statementAt(model.getValue(), model.getOffsetAt(pos))
      const local = ctes(stmt)
      const suggestions: Monaco.languages.CompletionItem[] = [...local, ...tables].map((x) => ({
        label: full(x), kind: K.Struct, insertText: full(x), range, sortText: (x.engine ? 'b' : 'a') + full(x),
        detail: x.engine ? `${x.kind} · ${x.engine}` : x.kind!, documentation: x.comment ?? '',
      }))
      const seen = new Set<Table>()
      for (const t of aliases(stmt, [...local, ...tables]).values()) {
        if (seen.has(t)) continue
        seen.add(t)
        for (const c of t.columns ?? []) {
          suggestions.push({ label: c.name!, kind: K.Field, insertText: c.name!, range, sortText: 'a' + c.name, detail: `${c.type ?? ''} · ${full(t)}`, documentation: c.comment ?? '' })
        }
      }
      return { suggestions }
    },
  })
}
