import { createI18n } from 'vue-i18n'
import en from './locales/en'
import zh from './locales/zh'

// Texts of one area can live in locales/parts/<area>.ts as
// `export default { en: {...}, zh: {...} }`; they are merged into en.ts and
// zh.ts key by key (e2e/i18n.test.mjs checks both languages have every key).
type Tree = { [k: string]: string | Tree }
function merge(into: Tree, from: Tree): Tree {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k]
    into[k] = typeof v === 'object' && typeof cur === 'object' ? merge({ ...cur }, v) : v
  }
  return into
}
const parts = import.meta.glob<{ default: { en: Tree; zh: Tree } }>('./locales/parts/*.ts', { eager: true })
const messages = { en: en as Tree, zh: zh as Tree }
for (const p of Object.values(parts)) {
  messages.en = merge({ ...messages.en }, p.default.en)
  messages.zh = merge({ ...messages.zh }, p.default.zh)
}

const saved = localStorage.getItem('kiln.lang')
export const i18n = createI18n({
  legacy: false,
  locale: saved === 'zh' || saved === 'en' ? saved : navigator.language.startsWith('zh') ? 'zh' : 'en',
  fallbackLocale: 'en',
  messages,
})

export function setLang(l: 'en' | 'zh') {
  i18n.global.locale.value = l
  localStorage.setItem('kiln.lang', l)
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en'
}
