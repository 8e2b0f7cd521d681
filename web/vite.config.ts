import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// The build lands in ../webui/dist, which Go embeds. Vite empties that folder
// first; this puts back the committed placeholder so `git status` stays clean.
// KILN_UI_OUT builds elsewhere (served with KILN_UI_DIR), e.g. for parallel test runs.
const outDir = process.env.KILN_UI_OUT || fileURLToPath(new URL('../webui/dist', import.meta.url))
const keep = `This folder receives the web UI built by \`make ui\` (npm in web/). It is
embedded into the kiln binary by package webui; only this file is committed.
`
function keepPlaceholder(): Plugin {
  return { name: 'kiln-keep', closeBundle() { writeFileSync(`${outDir}/.keep`, keep) } }
}

export default defineConfig({
  plugins: [vue(), keepPlaceholder()],
  build: {
    outDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
  },
  server: {
    // `npm run dev` talks to a running kiln server (KILN_URL, default :8080).
    proxy: { '/api': { target: process.env.KILN_URL || 'http://127.0.0.1:8080', changeOrigin: true } },
  },
})
