// The dashboard grouped by owner and tier (charts and table), and the query
// page's result chart (bar, pie, the message for a text-only result), in
// English and Chinese. Run: KILN_UI_DIR=/tmp/ui-dash node --test e2e/dash.test.mjs
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startKiln, runTask, day } from './harness.mjs'

// ECharts animates for about a second after the canvas appears.
const settle = (page) => page.waitForTimeout(1200)

test('dashboard groups and query charts', { timeout: 10 * 60_000 }, async (t) => {
  const k = await startKiln()
  const { base, page, api, shot } = k
  t.after(k.stop)
  // Finished instances of several owners and tiers on the test day.
  for (const task of ['gen_source', 'ods_courses', 'ods_students', 'ods_teachers']) {
    const inst = await runTask(api, task)
    assert.equal(inst.state, 'success', `${task}: ${inst.state}`)
  }
  const month = { from: day.slice(0, 8) + '01', to: day.slice(0, 8) + '28' }

  const openDashboard = async (group) => {
    await page.goto(base + '/ops/dashboard')
    await page.selectOption('[data-test=dash-range]', 'custom')
    await page.fill('[data-test=dash-from]', month.from)
    await page.fill('[data-test=dash-to]', month.to)
    await page.selectOption('[data-test=dash-group]', group)
    await page.click('[data-test=dash-refresh]')
    await page.locator('[data-test=dash-chart-states] [data-test=chart] canvas').waitFor()
  }

  await t.test('grouped by owner: one line per owner, a table row per owner and day', async () => {
    const sum = await api('GET', `/projects/edu/ops/summary?from=${month.from}&to=${month.to}&group_by=owner&top=10`)
    assert.ok(sum.length >= 2, 'owners: ' + JSON.stringify(sum))
    await openDashboard('owner')
    for (const c of ['success', 'ontime', 'duration', 'p95', 'cost', 'states']) {
      await page.locator(`[data-test=dash-chart-${c}] [data-test=chart] canvas`).waitFor()
    }
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=summary-row]').length === n, sum.length)
    const table = await page.textContent('[data-test=summary]')
    for (const s of sum) assert.ok(table.includes(s.group || '(no owner)'), `owner ${s.group} in ${table}`)
    assert.match(table, /CPU-hours/)
    await settle(page)
    await shot('dash-01-owner')
  })

  await t.test('grouped by tier, filtered by owner', async () => {
    await openDashboard('tier')
    await page.waitForFunction(() => /core/.test(document.querySelector('[data-test=summary]')?.textContent ?? ''))
    const rows = await page.locator('[data-test=summary-row]').count()
    assert.ok(rows >= 1)
    await settle(page)
    await shot('dash-02-tier')
    await page.fill('[data-test=dash-owner]', 'platform-team')
    await page.click('[data-test=dash-refresh]')
    await page.waitForFunction(() => document.querySelectorAll('[data-test=summary-row]').length === 1)
    assert.match(await page.textContent('[data-test=summary-row]'), /core/)
  })

  await t.test('all my projects, grouped by project', async () => {
    await openDashboard('project')
    await page.waitForFunction(() => /edu/.test(document.querySelector('[data-test=summary]')?.textContent ?? ''))
  })

  await t.test('a bad range shows the server message', async () => {
    await page.goto(base + '/ops/dashboard')
    await page.selectOption('[data-test=dash-range]', 'custom')
    await page.fill('[data-test=dash-from]', '2026-03-01')
    await page.fill('[data-test=dash-to]', '2026-02-01')
    await page.click('[data-test=dash-refresh]')
    assert.match(await page.textContent('[data-test=dash-error]'), /is after to/)
  })

  // Saved queries put the SQL in the editor without typing into Monaco.
  await api('POST', '/projects/edu/saved-queries', { name: 'kv', sql: "SELECT 'a' AS k, 1 AS v UNION ALL SELECT 'b', 2 UNION ALL SELECT 'c', 4" })
  await api('POST', '/projects/edu/saved-queries', { name: 'texts', sql: "SELECT 'x' AS a, 'y' AS b" })
  const runSaved = async (name) => {
    await page.click(`aside a:text-is("${name}")`)
    await page.click('[data-test=q-run]')
    await page.locator('[data-test=q-status]').waitFor()
  }

  await t.test('query: a bar chart and a pie of the result', async () => {
    await page.goto(base + '/query')
    await page.locator('[data-test=editor] .monaco-editor').waitFor()
    await runSaved('kv')
    await page.click('[data-test=q-tab-chart]')
    // Guessed: k as x, v as y.
    assert.equal(await page.inputValue('[data-test=q-chart-x]'), '0')
    assert.ok(await page.isChecked('[data-test=q-chart-y-v]'))
    await page.locator('[data-test=q-chart] [data-test=chart] canvas').waitFor()
    assert.match(await page.textContent('[data-test=q-chart-note]'), /3 row\(s\) on this page of 3/)
    await settle(page)
    await shot('dash-03-query-bar')
    await page.selectOption('[data-test=q-chart-type]', 'pie')
    await page.locator('[data-test=q-chart] [data-test=chart] canvas').waitFor()
    await settle(page)
    await shot('dash-04-query-pie')
    await page.click('[data-test=q-tab-grid]')
    assert.match(await page.textContent('[data-test=q-grid]'), /b/)
  })

  await t.test('query: a text-only result says there is nothing to chart', async () => {
    await runSaved('texts')
    await page.click('[data-test=q-tab-chart]')
    assert.match(await page.textContent('[data-test=q-chart-none]'), /no numeric column/)
  })

  await t.test('query: the saved list opens a query as a chart', async () => {
    await page.click('[data-test=q-saved-chart-kv]')
    await page.locator('[data-test=q-chart] [data-test=chart] canvas').waitFor()
  })

  await t.test('Chinese', async () => {
    await page.selectOption('header [data-test=lang]', 'zh')
    assert.match(await page.textContent('[data-test=q-tab-chart]'), /图表/)
    assert.match(await page.textContent('[data-test=q-chart]'), /图表类型/)
    // The chart on screen is drawn again in ECharts' Chinese locale.
    await page.waitForSelector('[data-test=q-chart] [data-test=chart][data-locale=ZH] canvas')
    await openDashboard('owner')
    await page.waitForFunction(() => {
      const charts = [...document.querySelectorAll('[data-test=chart]')]
      return charts.length >= 6 && charts.every((e) => e.dataset.locale === 'ZH')
    })
    const body = await page.textContent('body')
    assert.match(body, /分组/)
    assert.match(body, /CPU 小时/)
    assert.ok(!/Group by|Instances by state|Cost \(CPU-hours\)/.test(body), 'English left: ' + body.slice(0, 400))
    await settle(page)
    await shot('dash-05-zh')
    await page.selectOption('header [data-test=lang]', 'en')
    await page.waitForFunction(() => [...document.querySelectorAll('[data-test=chart]')].every((e) => e.dataset.locale === 'EN'))
  })
})
