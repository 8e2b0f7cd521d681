// Shared set-up of the browser tests: builds kiln, starts `kiln server` on
// loopback with the demo project (examples/edu) and a temp data directory,
// launches Debian's Chromium through playwright-core, and signs in.
// Each e2e/*.test.mjs file starts its own server, so files stay independent.
// KILN_UI_DIR serves a UI built elsewhere (`KILN_UI_OUT=dir vite build`);
// otherwise the build in webui/dist is used. Screenshots go to
// test-output/ui/ at the repository root.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, existsSync, cpSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import { chromium } from 'playwright-core'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const shots = join(root, 'test-output', 'ui')
export const chrome = process.env.CHROMIUM || '/usr/bin/chromium'
export const password = 'e2e-Password-1'
export const T = 60_000 // generous: the machine is shared
export const day = '2026-01-15'

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => ok(port))
    }).on('error', fail)
  })
}

// startKiln builds and starts a server on a copy of the demo project and a
// browser page signed in as admin (English). It returns
// { base, page, browser, api, shot, stop, projectDir, log }.
export async function startKiln({ viewport = { width: 1366, height: 860 }, signIn = true } = {}) {
  assert.ok(existsSync(chrome), `no browser at ${chrome}: apt-get install -y chromium`)
  const ui = process.env.KILN_UI_DIR || join(root, 'webui', 'dist')
  assert.ok(existsSync(join(ui, 'index.html')), `the UI is not built in ${ui}: run make ui`)
  const dir = mkdtempSync(join(tmpdir(), 'kiln-ui-e2e-'))
  mkdirSync(shots, { recursive: true })
  const bin = join(dir, 'kiln')
  execFileSync('go', ['build', '-o', bin, './cmd/kiln'], { cwd: root, stdio: 'inherit' })
  // A copy of the demo: tasks saved in the browser are written back into
  // the server's project folder, and the checkout must stay clean.
  const projectDir = join(dir, 'edu')
  cpSync(join(root, 'examples', 'edu'), projectDir, { recursive: true })
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  let log = ''
  const srv = spawn(bin, ['server', '--data', join(dir, 'data'), '--addr', `127.0.0.1:${port}`, '--project', projectDir], {
    cwd: root, env: { ...process.env, KILN_ADMIN_PASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  srv.stdout.on('data', (d) => (log += d))
  srv.stderr.on('data', (d) => (log += d))
  const end = Date.now() + T
  for (;;) {
    if (srv.exitCode !== null) throw new Error('kiln server exited:\n' + log)
    try {
      if ((await fetch(base + '/healthz')).ok) break
    } catch { /* not up yet */ }
    if (Date.now() > end) throw new Error('kiln server did not become healthy:\n' + log)
    await new Promise((r) => setTimeout(r, 200))
  }
  const browser = await chromium.launch({
    executablePath: chrome,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  const page = await browser.newPage({ viewport })
  page.setDefaultTimeout(T)
  // The browser's console errors and uncaught exceptions, for tests that
  // want none (KILN_E2E_CONSOLE=1 also prints them).
  const errors = []
  const note = (msg) => {
    errors.push(msg)
    if (process.env.KILN_E2E_CONSOLE) console.log('BROWSER-ERROR ' + msg)
  }
  page.on('console', (m) => m.type() === 'error' && note(m.text()))
  page.on('pageerror', (e) => note(String(e)))
  let token = ''
  // api calls the REST API as admin; it throws on a non-2xx answer unless
  // {raw: true} is given, then it returns the Response.
  const api = async (method, path, body, { raw = false } = {}) => {
    const r = await fetch(base + '/api/v1' + path, {
      method, headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (raw) return r
    const text = await r.text()
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`)
    return text ? JSON.parse(text) : null
  }
  const login = await fetch(base + '/api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'admin', password, token_name: 'e2e' }) })
  assert.ok(login.ok, 'login: ' + login.status)
  token = (await login.json()).token
  if (signIn) {
    await page.goto(base + '/login')
    await page.evaluate((tok) => {
      localStorage.setItem('kiln.token', tok)
      localStorage.setItem('kiln.project', 'edu')
      localStorage.setItem('kiln.lang', 'en')
    }, token)
  }
  const shot = (name) => page.screenshot({ path: join(shots, name + '.png'), fullPage: false })
  const stop = async () => {
    await browser.close()
    if (srv.exitCode === null) {
      srv.kill('SIGTERM')
      await new Promise((r) => srv.once('exit', r))
    }
    rmSync(dir, { recursive: true, force: true })
    // A chart whose series type is not registered draws nothing and says so.
    assert.deepEqual(errors.filter((e) => /series not drawn/.test(e)), [], 'charts with series ECharts dropped')
  }
  // pageIn opens a page in a browser context of another time zone (and,
  // with at, a clock fixed there), signed in as admin on edu, in English.
  // Close the returned context when done.
  async function pageIn(timezoneId, at) {
    const ctx = await browser.newContext({ timezoneId, viewport: { width: 1366, height: 860 } })
    const p = await ctx.newPage()
    p.setDefaultTimeout(T)
    if (at) await p.clock.setFixedTime(at)
    await p.goto(base + '/login')
    await p.evaluate((tok) => {
      localStorage.setItem('kiln.token', tok)
      localStorage.setItem('kiln.project', 'edu')
      localStorage.setItem('kiln.lang', 'en')
    }, token)
    return { ctx, page: p }
  }
  return { base, page, browser, api, shot, stop, projectDir, pageIn, errors: () => errors, token: () => token, log: () => log }
}

// runTask runs a task for a date through the API and waits for it to end.
export async function runTask(api, task, bizdate = day) {
  const inst = await api('POST', `/projects/edu/tasks/${task}/runs`, { bizdate })
  const end = Date.now() + 4 * T
  for (;;) {
    const d = await api('GET', `/instances/${inst.id}`)
    const st = d.instance.state
    if (['success', 'failed', 'killed', 'upstream_failed', 'skipped'].includes(st)) return d.instance
    if (Date.now() > end) throw new Error(`${task}: still ${st}`)
    await new Promise((r) => setTimeout(r, 300))
  }
}
