import { createI18n } from 'vue-i18n'
import en from './locales/en'
import zh from './locales/zh'

const saved = localStorage.getItem('kiln.lang')
export const i18n = createI18n({
  legacy: false,
  locale: saved === 'zh' || saved === 'en' ? saved : navigator.language.startsWith('zh') ? 'zh' : 'en',
  fallbackLocale: 'en',
  messages: { en, zh },
})

export function setLang(l: 'en' | 'zh') {
  i18n.global.locale.value = l
  localStorage.setItem('kiln.lang', l)
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en'
}
