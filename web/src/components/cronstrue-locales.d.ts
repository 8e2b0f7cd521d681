// cronstrue's locale files register themselves with cronstrue when imported.
declare module 'cronstrue/locales/zh_CN'
