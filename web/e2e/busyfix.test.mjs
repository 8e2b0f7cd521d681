// Browser tests of the busy-state fixes (see harness.mjs): a double click
// starts one backfill, creates one token, runs one query; batch actions wait
// for the one running; the query page stops polling a run it left or
// replaced and shows paging and cancel errors and translated run states;
// alert settings that did not load cannot be saved (no PUT); the silence
// dialog keeps what was typed on an error; default dates are the browser's
// local dates; the Gantt chart's canvas follows its height; times follow
// the UI language. Slow requests are held by page.route until released, so
// nothing depends on timing.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startKiln, T } from './harness.mjs'

const ganttDay = '2026-02-05'
let k, page, base, api, shot

before(async () => {
  k = await startKiln()
  ;({ page, base, api, shot } = k)
  page.on('dialog', (d) => d.accept())
})

after(async () => {
  await k?.stop()
})

const until = async (f, what) => {
  const end = Date.now() + T
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what)
    await new Promise((r) => setTimeout(r, 50))
  }
}
// gate is a promise the test opens: a held request waits for it.
const gate = () => {
  let open
  const p = new Promise((ok) => (open = ok))
  return { wait: p, open }
}
const json = (route, status, body) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) })
const apiError = (route, message) => json(route, 500, { error: { code: 'internal', message } })
const setLang = (lang) => page.evaluate((l) => localStorage.setItem('kiln.lang', l), lang)

// dateIn is today's date (YYYY-MM-DD) in a time zone, shifted by days.
function dateIn(tz, days = 0) {
  const s = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date())
  const d = new Date(s + 'T00:00:00Z')
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

test('busy states, errors and local dates', { timeout: 20 * T }, async (t) => {
  await t.test('backfill: a double click on Start starts one backfill', async () => {
    const from = '2025-03-01', to = '2025-03-02'
    const held = gate()
    let starts = 0
    await page.route('**/api/v1/projects/edu/backfills', async (route) => {
      if (!route.request().postDataJSON()?.dry_run) {
        starts++
        await held.wait
      }
      await route.continue()
    })
    await page.goto(base + '/ops')
    await page.click('[data-test=open-backfill]')
    await page.fill('[data-test=bf-tasks]', 'ods_courses')
    await page.fill('[data-test=bf-from]', from)
    await page.fill('[data-test=bf-to]', to)
    await page.click('[data-test=bf-preview-btn]')
    await page.locator('[data-test=bf-preview]').waitFor()
    await page.dblclick('[data-test=bf-start]')
    await until(() => starts > 0, 'the start request')
    assert.ok(await page.isDisabled('[data-test=bf-start]'), 'Start is disabled while the backfill is being started')
    held.open()
    await page.locator('[data-test=bf-started]').waitFor()
    await page.unroute('**/api/v1/projects/edu/backfills')
    assert.equal(starts, 1, 'start requests sent')
    const audit = await api('GET', '/projects/edu/audit?action=backfill')
    const mine = audit.filter((e) => e.target === 'ods_courses' && e.detail.startsWith(`${from}..${to}`))
    assert.equal(mine.length, 1, 'backfills created: ' + JSON.stringify(audit))
    await page.keyboard.press('Escape')
  })

  await t.test('tokens: a double click on Create makes one token and shows its value', async () => {
    const held = gate()
    let creates = 0
    await page.route('**/api/v1/tokens', async (route) => {
      if (route.request().method() === 'POST') {
        creates++
        await held.wait
      }
      await route.continue()
    })
    await page.goto(base + '/console')
    await page.click('[data-test=tab-tokens]')
    await page.fill('[data-test=tk-name]', 'dbl-token')
    await page.dblclick('[data-test=tk-create]')
    await until(() => creates > 0, 'the create request')
    assert.ok(await page.isDisabled('[data-test=tk-create]'), 'Create is disabled while the token is being created')
    held.open()
    await page.locator('tr[data-token=dbl-token]').waitFor()
    await page.unroute('**/api/v1/tokens')
    assert.equal(creates, 1, 'create requests sent')
    const tokens = (await api('GET', '/tokens')).filter((x) => x.name === 'dbl-token')
    assert.equal(tokens.length, 1, 'tokens named dbl-token')
    const value = (await page.textContent('[data-test=tk-value]')).trim()
    assert.equal((await fetch(base + '/api/v1/me', { headers: { Authorization: 'Bearer ' + value } })).status, 200, 'the value shown is the token made')
    // Times follow the UI language, not the browser's.
    await setLang('zh')
    await page.reload()
    await page.click('[data-test=tab-tokens]')
    const created = page.locator('tr[data-token=dbl-token] td').nth(2)
    await created.waitFor()
    assert.match((await created.textContent()).trim(), /^\d{4}\/\d{1,2}\/\d{1,2}/, 'a zh-CN date')
    await setLang('en')
  })

  await t.test('query: one run per click, polling stops when replaced or left, errors and states shown', async () => {
    // Runs are faked: POST answers the next id with q.status[id]; a run's
    // status is polled from q.status; page 2 of the rows and cancel fail.
    const q = { ids: [900001, 900002, 900003, 900004, 900005], status: {}, polls: {}, posts: 0, held: null }
    await page.route(/\/api\/v1\/projects\/edu\/queries(\/[^?]*)?(\?.*)?$/, async (route) => {
      const req = route.request()
      const u = new URL(req.url())
      const path = u.pathname.replace('/api/v1/projects/edu/queries', '')
      let m
      if (req.method() === 'POST' && path === '') {
        q.posts++
        if (q.held) await q.held.wait
        const id = q.ids.shift()
        q.status[id] ??= 'running'
        return json(route, 201, { id, status: q.status[id], sql: 'SELECT 1' })
      }
      if (req.method() === 'GET' && (m = path.match(/^\/(\d+)$/))) {
        const id = Number(m[1])
        q.polls[id] = (q.polls[id] ?? 0) + 1
        return json(route, 200, { id, status: q.status[id] ?? 'running' })
      }
      if (req.method() === 'GET' && /^\/\d+\/rows$/.test(path)) {
        if (u.searchParams.get('page') === '2') return apiError(route, 'page two broke')
        return json(route, 200, { columns: [{ name: 'n', type: 'BIGINT' }], rows: Array.from({ length: 100 }, (_, i) => [i]), total: 250 })
      }
      if (req.method() === 'POST' && /\/cancel$/.test(path)) return apiError(route, 'cancel broke')
      return route.continue()
    })
    const polls = (id) => q.polls[id] ?? 0
    await page.goto(base + '/query')
    // A double click while the run is being submitted sends one run.
    q.held = gate()
    await page.dblclick('[data-test=q-run]')
    await until(() => q.posts > 0, 'the run request')
    assert.ok(await page.isDisabled('[data-test=q-run]'), 'Run is disabled while the run is being submitted')
    q.held.open()
    q.held = null
    await page.locator('[data-test=q-run-status][data-status=running]').waitFor()
    assert.equal(q.posts, 1, 'run requests sent')
    assert.match(await page.textContent('[data-test=q-run-status]'), /#900001: running/)
    await page.waitForFunction(() => !document.querySelector('[data-test=q-run]').disabled)
    // A cancel that fails says so.
    await page.click('[data-test=q-cancel]')
    await page.locator('[data-test=q-error]', { hasText: 'cancel broke' }).waitFor()
    assert.match(await page.textContent('[data-test=q-error]'), /Cancel failed/)
    // A new run stops the polling of the one before.
    await until(() => polls(900001) > 0, 'a poll of the first run')
    await page.click('[data-test=q-run]')
    await until(() => polls(900002) > 0, 'a poll of the second run')
    let before = polls(900001)
    await until(() => polls(900002) >= 4, 'more polls of the second run')
    assert.ok(polls(900001) - before <= 1, `the replaced run is still polled: ${before} → ${polls(900001)}`)
    // Leaving the page stops the polling too.
    await page.click('[data-nav=ops]')
    await page.locator('table[data-test=instances]').waitFor()
    before = polls(900002)
    await page.click('[data-nav=query]')
    await page.click('[data-test=q-run]')
    await until(() => polls(900003) >= 4, 'polls of a run after coming back')
    assert.ok(polls(900002) - before <= 1, `the run left behind is still polled: ${before} → ${polls(900002)}`)
    // The state a run ended in is said in the UI language.
    await setLang('zh')
    await page.reload()
    q.status[900004] = 'canceled'
    await page.click('[data-test=q-run]')
    await page.locator('[data-test=q-error]').waitFor()
    const ended = await page.textContent('[data-test=q-error]')
    assert.match(ended, /已取消/)
    assert.doesNotMatch(ended, /canceled/)
    await setLang('en')
    await page.reload()
    // A page that fails to load says so.
    q.status[900005] = 'succeeded'
    await page.click('[data-test=q-run]')
    await page.locator('[data-test=q-grid] tbody tr').first().waitFor()
    await page.click('[data-test=next]')
    await page.locator('[data-test=q-error]', { hasText: 'page two broke' }).waitFor()
    await shot('busyfix-01-query-page-error')
    await page.unroute(/\/api\/v1\/projects\/edu\/queries(\/[^?]*)?(\?.*)?$/)
  })

  await t.test('alert settings that did not load cannot be saved', async () => {
    // A stored channel that a save built from nothing would wipe.
    const cfg = await api('GET', '/projects/edu/alerts/config')
    await api('PUT', '/projects/edu/alerts/config', { ...(cfg.config ?? {}), channels: [{ name: 'keep-me', kind: 'webhook', url: 'http://127.0.0.1:9/hook' }] })
    const puts = []
    const handler = (route) => {
      if (route.request().method() === 'PUT') puts.push(route.request().url())
      if (route.request().method() === 'GET') return apiError(route, 'config broke')
      return route.continue()
    }
    await page.route('**/api/v1/projects/edu/alerts/config', handler)
    // Each tab: the load error shows, the save buttons are disabled and say
    // why; a click on a save button sends nothing.
    await page.goto(base + '/alerts?tab=channels')
    await page.locator('[data-test=ac-err]', { hasText: 'config broke' }).waitFor()
    assert.ok(await page.isDisabled('[data-test=ch-new]'), 'ch-new is disabled')
    await page.locator('[data-test=ac-not-loaded]').waitFor()
    await page.click('[data-test=al-tab-policies]')
    await page.locator('[data-test=ac-err]', { hasText: 'config broke' }).waitFor()
    await page.locator('[data-test=gen-save]').click({ force: true, timeout: 2000 }).catch(() => {})
    for (const b of ['po-new', 'gen-save']) assert.ok(await page.isDisabled(`[data-test=${b}]`), b + ' is disabled')
    assert.match(await page.getAttribute('[data-test=gen-save]', 'title'), /did not load/)
    await page.click('[data-test=al-tab-rota]')
    await page.locator('[data-test=ac-err]', { hasText: 'config broke' }).waitFor()
    await page.fill('[data-test=ro-people]', 'ann, bob')
    await page.locator('[data-test=ro-save]').click({ force: true, timeout: 2000 }).catch(() => {})
    assert.ok(await page.isDisabled('[data-test=ro-save]'), 'ro-save is disabled')
    await page.locator('[data-test=ac-not-loaded]').waitFor()
    await shot('busyfix-02-alerts-not-loaded')
    await page.unroute('**/api/v1/projects/edu/alerts/config', handler)
    assert.deepEqual(puts, [], 'no config was sent')
    const now = await api('GET', '/projects/edu/alerts/config')
    assert.deepEqual((now.config.channels ?? []).map((c) => c.name), ['keep-me'])
    // Once it loads, saving works again.
    await page.reload()
    await page.click('[data-test=al-tab-policies]')
    await page.waitForFunction(() => !document.querySelector('[data-test=gen-save]')?.disabled)
    assert.equal(await page.locator('[data-test=ac-not-loaded]').count(), 0)
  })

  await t.test('the silence dialog stays open with its values on an error', async () => {
    await page.goto(base + '/alerts')
    await page.click('[data-test=al-silence-open]')
    await page.fill('[data-test=si-for]', '2h')
    await page.fill('[data-test=si-reason]', 'busyfix maintenance')
    await page.route('**/api/v1/projects/edu/silences', (route) => (route.request().method() === 'POST' ? apiError(route, 'silence broke') : route.continue()))
    await page.click('[data-test=si-submit]')
    await page.locator('[data-test=si-err]', { hasText: 'silence broke' }).waitFor()
    assert.ok(await page.locator('[data-test=silence-form]').isVisible(), 'the dialog is open')
    assert.equal(await page.inputValue('[data-test=si-reason]'), 'busyfix maintenance')
    await page.unroute('**/api/v1/projects/edu/silences')
    await page.click('[data-test=si-submit]')
    await page.locator('[data-test=silence-form]').waitFor({ state: 'detached' })
    await page.locator('table[data-test=silences]', { hasText: 'busyfix maintenance' }).waitFor()
  })

  await t.test('default dates are the browser\'s local dates', async () => {
    // One of the two zones is on another date than UTC at any time of day.
    for (const tz of ['Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
      const { ctx, page: p } = await k.pageIn(tz)
      try {
        const t0 = [dateIn(tz, 0), dateIn(tz, -1)]
        await p.goto(base + '/ops/day')
        const dayDate = await p.inputValue('[data-test=day-date]')
        await p.goto(base + '/ops')
        await p.click('[data-test=open-backfill]')
        const bfFrom = await p.inputValue('[data-test=bf-from]')
        await p.goto(base + '/alerts?tab=rota')
        await p.waitForFunction(() => document.querySelector('[data-test=ro-start]')?.value)
        const roStart = await p.inputValue('[data-test=ro-start]')
        // Midnight may pass meanwhile: the date before or after it is right.
        const t1 = [dateIn(tz, 0), dateIn(tz, -1)]
        assert.ok([t0[0], t1[0]].includes(dayDate), `day view in ${tz}: ${dayDate}, want ${t0[0]}`)
        assert.ok([t0[1], t1[1]].includes(bfFrom), `backfill from in ${tz}: ${bfFrom}, want ${t0[1]}`)
        assert.ok([t0[0], t1[0]].includes(roStart), `rota start in ${tz}: ${roStart}, want ${t0[0]}`)
      } finally {
        await ctx.close()
      }
    }
  })

  await t.test('the Gantt chart\'s canvas follows its height when rows are filtered', async () => {
    await api('POST', '/projects/edu/backfills', { tasks: ['gen_source'], from: ganttDay, to: ganttDay, downstream: true })
    const end = Date.now() + 5 * T
    for (;;) {
      const g = await api('GET', `/projects/edu/ops/daygraph?date=${ganttDay}`)
      if (g.nodes.length > 1 && g.nodes.every((n) => ['success', 'failed', 'killed', 'upstream_failed', 'skipped'].includes(n.state))) break
      assert.ok(Date.now() < end, 'the backfill did not end')
      await new Promise((r) => setTimeout(r, 500))
    }
    await page.goto(`${base}/ops/day?date=${ganttDay}&view=gantt`)
    const chart = page.locator('[data-test=gantt] [data-test=chart]')
    await chart.locator('canvas').first().waitFor()
    // fits: the box has the height for n rows and the canvas fills it.
    const fits = (n) => page.waitForFunction((n) => {
      const box = document.querySelector('[data-test=gantt] [data-test=chart]')
      const cv = box?.querySelector('canvas')
      if (!cv || Number(document.querySelector('[data-test=gantt]').getAttribute('data-rows')) !== n) return false
      const want = Math.max(200, n * 26 + 70)
      const b = box.getBoundingClientRect().height, c = cv.getBoundingClientRect().height
      return Math.abs(b - want) < 1 && Math.abs(c - want) < 1
    }, n)
    const all = Number(await page.getAttribute('[data-test=gantt]', 'data-rows'))
    assert.ok(all > 6, 'rows: ' + all)
    await fits(all)
    await page.fill('[data-test=day-f-task]', 'ods_')
    await page.waitForFunction((all) => Number(document.querySelector('[data-test=gantt]').getAttribute('data-rows')) < all, all)
    const few = Number(await page.getAttribute('[data-test=gantt]', 'data-rows'))
    assert.ok(few > 0 && Math.max(200, few * 26 + 70) < Math.max(200, all * 26 + 70), `a filter that shrinks the chart: ${few} of ${all}`)
    await fits(few)
    await shot('busyfix-03-gantt-filtered')
    await page.fill('[data-test=day-f-task]', '')
    await fits(all)
  })

  await t.test('ops: batch actions wait for the one running', async () => {
    const held = gate()
    let pauses = 0
    await page.route('**/api/v1/projects/edu/tasks/*/pause', async (route) => {
      pauses++
      await held.wait
      await route.continue()
    })
    await page.goto(`${base}/ops?from=${ganttDay}&to=${ganttDay}`)
    const row = page.locator('table[data-test=instances] tbody tr').first()
    await row.waitFor()
    await row.locator('input[type=checkbox]').check()
    await page.click('[data-test=act-pause]')
    await until(() => pauses > 0, 'the pause request')
    for (const b of ['act-pause', 'act-resume', 'act-rerun', 'act-kill', 'act-setSuccess', 'act-offline']) {
      assert.ok(await page.isDisabled(`[data-test=${b}]`), b + ' is disabled while a batch runs')
    }
    held.open()
    await page.locator('[data-test=msg]', { hasText: 'Done: 1 task(s)' }).waitFor()
    await page.unroute('**/api/v1/projects/edu/tasks/*/pause')
    assert.equal(pauses, 1)
    await page.waitForFunction(() => !document.querySelector('[data-test=act-resume]').disabled)
    const [res] = await Promise.all([
      page.waitForResponse((r) => /\/tasks\/[^/]+\/resume$/.test(r.url()) && r.request().method() === 'POST'),
      page.click('[data-test=act-resume]'),
    ])
    assert.ok(res.ok(), 'resume: ' + res.status())
  })
})
