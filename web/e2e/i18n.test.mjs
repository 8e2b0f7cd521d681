// The English and Chinese message files must have the same keys, and every
// message must be non-empty: a missing key would show English (or the key)
// in the Chinese UI.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'

function load(name) {
  const src = readFileSync(new URL(`../src/locales/${name}.ts`, import.meta.url), 'utf8')
  return new Function(src.replace('export default', 'return'))()
}
function keys(o, pre = '') {
  return Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, pre + k + '.') : [[pre + k, v]]))
}

test('English and Chinese messages have the same keys', () => {
  const en = new Map(keys(load('en')))
  const zh = new Map(keys(load('zh')))
  assert.deepEqual([...zh.keys()].sort(), [...en.keys()].sort())
  for (const [k, v] of zh) assert.ok(String(v).trim(), `zh ${k} is empty`)
})
