// The English and Chinese message files (locales/en.ts, zh.ts and every
// locales/parts/*.ts) must have the same keys, and every message must be
// non-empty: a missing key would show English (or the key) in the Chinese UI.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, existsSync } from 'node:fs'

const dir = new URL('../src/locales/', import.meta.url)
function load(path) {
  const src = readFileSync(new URL(path, dir), 'utf8')
  return new Function(src.replace(/^import .*$/gm, '').replace('export default', 'return'))()
}
function keys(o, pre = '') {
  return Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, pre + k + '.') : [[pre + k, v]]))
}

test('English and Chinese messages have the same keys', () => {
  const en = new Map(keys(load('en.ts')))
  const zh = new Map(keys(load('zh.ts')))
  assert.deepEqual([...zh.keys()].sort(), [...en.keys()].sort())
  for (const [k, v] of zh) assert.ok(String(v).trim(), `zh ${k} is empty`)
})

test('every locale part has the same keys in English and Chinese', () => {
  const parts = new URL('parts/', dir)
  for (const f of existsSync(parts) ? readdirSync(parts).filter((f) => f.endsWith('.ts')) : []) {
    const p = load('parts/' + f)
    const en = new Map(keys(p.en))
    const zh = new Map(keys(p.zh))
    assert.ok(en.size > 0, `${f}: no English texts`)
    assert.deepEqual([...zh.keys()].sort(), [...en.keys()].sort(), f)
    for (const [k, v] of zh) assert.ok(String(v).trim(), `${f}: zh ${k} is empty`)
  }
})

// No user-facing text is written into a template: text between tags and
// placeholder/title/aria-label/alt attributes come from the message files.
// Allowed: the language names (each in its own language) and placeholders
// that are example identifiers (dws_example, warehouse, 2h).
test('templates hold no literal user-facing text', async () => {
  const { readdirSync: ls, statSync } = await import('node:fs')
  const { join } = await import('node:path')
  const src = new URL('../src/', import.meta.url).pathname
  const walk = (d) => ls(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.vue') ? [join(d, f)] : []))
  const allowed = new Set(['English', '中文', '&nbsp;'])
  const found = []
  for (const f of walk(src)) {
    const m = readFileSync(f, 'utf8').match(/<template>([\s\S]*)<\/template>/)
    if (!m) continue
    const tpl = m[1].replace(/<!--[\s\S]*?-->/g, '').replace(/\{\{[\s\S]*?\}\}/g, '')
    for (const [, a, v] of tpl.matchAll(/\s(placeholder|title|aria-label|alt)="([^"]*)"/g)) {
      if (/[A-Za-z\u4e00-\u9fff]{2,}/.test(v) && !/^[a-z0-9_.]+$/.test(v)) found.push(`${f}: ${a}="${v}"`)
    }
    const text = tpl.replace(/\s[:@#]?[\w.:-]+="[^"]*"/g, '')
    for (const [, s] of text.matchAll(/>([^<>]+)</g)) {
      const v = s.trim()
      if (/[A-Za-z\u4e00-\u9fff]{2,}/.test(v) && !allowed.has(v)) found.push(`${f}: "${v}"`)
    }
  }
  assert.deepEqual(found, [], 'literal texts in templates:\n' + found.join('\n'))
})
