// End-to-end test of the web UI in a real browser against `kiln server`
// with the demo project (see harness.mjs). Run with `make test-ui`.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { startKiln, password, T, day } from './harness.mjs'

let k, page, base, browser
let shot

before(async () => {
  k = await startKiln({ signIn: false })
  ;({ page, base, browser, shot } = k)
})

after(async () => {
  await k?.stop()
})

// runInStudio opens a task in the studio, runs it for `day` and waits for
// its log to end; returns the run panel's final state.
async function runInStudio(task) {
  await page.goto(`${base}/studio/${task}`)
  await page.locator('[data-test=task-name]', { hasText: task }).waitFor()
  await page.locator('[data-test=editor] .monaco-editor').waitFor()
  await page.fill('[data-test=run-date]', day)
  await page.click('[data-test=run]')
  await page.locator('[data-test=run-panel] [data-test=log]').waitFor()
  // The log streams until the instance ends; the live badge then goes away
  // and the link shows a final state.
  await page.waitForFunction(() => /#\d+: (success|failed|killed|成功|失败)/.test(document.querySelector('[data-test=run-link]')?.textContent ?? ''), null, { timeout: 4 * T })
  return page.textContent('[data-test=run-link]')
}

test('the web UI end to end', { timeout: 15 * T }, async (t) => {
  await t.test('a wrong password is refused with a message', async () => {
    await page.goto(base + '/')
    await page.waitForURL(/\/login/)
    await page.selectOption('[data-test=login] [data-test=lang]', 'en')
    await page.fill('input[name=user]', 'admin')
    await page.fill('input[name=password]', 'wrong')
    await page.click('button[type=submit]')
    await page.locator('[data-test=login-error]').waitFor()
    await shot('01-login-error')
  })

  await t.test('sign in lands on the ops center', async () => {
    await page.fill('input[name=password]', password)
    await page.click('button[type=submit]')
    await page.locator('table[data-test=instances]').waitFor()
    await page.locator('[data-test=project]').waitFor()
    assert.equal(await page.inputValue('[data-test=project]'), 'edu')
    assert.match(await page.textContent('[data-test=role]'), /owner/)
  })

  await t.test('studio: run the source generator, then a SQL model, with log and result grid', async () => {
    const gen = await runInStudio('gen_source')
    assert.match(gen, /success/, 'gen_source: ' + gen)
    const st = await runInStudio('ods_courses')
    assert.match(st, /success/, 'ods_courses: ' + st)
    const log = await page.textContent('[data-test=run-panel] [data-test=log]')
    assert.ok(log.length > 0, 'the log panel is empty')
    await page.locator('[data-test=run-panel] [data-test=grid] tbody tr').first().waitFor()
    await shot('02-studio-run')
    await page.click('[data-test=tab-history]')
    await page.locator('[data-test=history] table').waitFor()
  })

  await t.test('studio: create a SQL model in the editor, see its problems, save it, run it', async () => {
    await page.goto(`${base}/studio`)
    await page.click('[data-test=new-task]')
    await page.fill('[data-test=new-name]', 'dws_ui_courses')
    await page.selectOption('[data-test=new-type]', 'sql_model')
    await page.fill('[data-test=new-folder]', 'tasks/dws')
    await page.click('[data-test=new-create]')
    await page.locator('[data-test=draft-name]', { hasText: 'dws_ui_courses' }).waitFor()
    await page.locator('[data-test=editor] .monaco-editor').waitFor()
    // Replace the template; insertText types it as one edit (no auto-closing).
    const write = async (text) => {
      await page.click('[data-test=editor] .view-lines')
      await page.keyboard.press('ControlOrMeta+A')
      await page.keyboard.press('Delete')
      await page.keyboard.insertText(text)
    }
    await write('/* kiln\ntarget: dws.dws_ui_courses\nupstreams: [ods_courses, no_such_task]\n*/\nSELECT count(*) AS courses FROM ods.ods_courses\n')
    await page.keyboard.press('ControlOrMeta+S')
    await page.locator('[data-test=problems]', { hasText: 'no_such_task' }).waitFor()
    assert.match(await page.textContent('[data-test=problems]'), /:3: .*unknown task no_such_task/)
    await page.locator('[data-test=editor] .squiggly-error').first().waitFor({ state: 'attached' })
    await shot('02b-studio-problems')
    await write('/* kiln\ntarget: dws.dws_ui_courses\nupstreams: [ods_courses]\n*/\nSELECT count(*) AS courses FROM ods.ods_courses\n')
    await page.fill('[data-test=save-message]', 'made in the browser')
    await page.click('[data-test=save]')
    await page.waitForURL(/\/studio\/dws_ui_courses$/)
    await page.locator('[data-test=task-name]', { hasText: 'dws_ui_courses' }).waitFor()
    assert.equal(await page.locator('[data-test=task-tree] [data-task=dws_ui_courses]').count(), 1)
    // The server's project folder got the file, so a restart keeps the task.
    const { readFileSync } = await import('node:fs')
    const saved = readFileSync(join(k.projectDir, 'tasks', 'dws', 'dws_ui_courses.sql'), 'utf8')
    assert.match(saved, /upstreams: \[ods_courses\][\s\S]*SELECT count\(\*\) AS courses FROM ods\.ods_courses/)
    const st = await runInStudio('dws_ui_courses')
    assert.match(st, /success/, 'dws_ui_courses: ' + st)
    assert.ok((await page.textContent('[data-test=run-panel] [data-test=log]')).length > 0, 'the log panel is empty')
    await page.locator('[data-test=run-panel] [data-test=grid] tbody tr').first().waitFor()
    assert.match(await page.textContent('[data-test=run-panel] [data-test=grid]'), /courses/)
    await shot('02c-studio-created')
    // Change it: the editor marks unsaved changes, Ctrl+S saves version 2.
    await write('/* kiln\ntarget: dws.dws_ui_courses\nupstreams: [ods_courses]\n*/\nSELECT count(*) AS courses, 1 AS v FROM ods.ods_courses\n')
    await page.keyboard.press('ControlOrMeta+S')
    await page.locator('[data-test=save-notice]', { hasText: '2' }).waitFor()
  })

  await t.test('ops center: the run is listed; rerun with downstream', async () => {
    await page.goto(base + '/ops')
    await page.fill('[data-test=f-task]', 'ods_courses')
    await page.fill('[data-test=f-from]', day)
    await page.fill('[data-test=f-to]', day)
    await page.click('[data-test=apply]')
    const row = page.locator('tr[data-task=ods_courses]').first()
    await row.waitFor()
    await page.waitForFunction(() => document.querySelectorAll('table[data-test=instances] tbody tr').length >= 1 &&
      [...document.querySelectorAll('table[data-test=instances] tbody tr')].every((r) => r.getAttribute('data-task') === 'ods_courses'))
    await shot('03-ops-list')
    await row.locator('input[type=checkbox]').check()
    page.once('dialog', (d) => d.accept())
    await page.click('[data-test=act-rerunDown]')
    await page.locator('[data-test=msg]').waitFor()
    assert.match(await page.textContent('[data-test=msg]'), /Done: \d+ instance/)
  })

  await t.test('instance page: log, rendered SQL, neighbours and why', async () => {
    await page.locator('tr[data-task=ods_courses] a').first().click()
    await page.locator('[data-test=instance-title]').waitFor()
    await page.locator('[data-test=why]').waitFor()
    await page.locator('[data-test=log]').waitFor()
    await page.click('[data-test=tab-sql]')
    await page.locator('[data-test=rendered]').waitFor()
    assert.match(await page.textContent('[data-test=rendered]'), /select/i)
    await shot('04-instance')
  })

  await t.test('backfill dialog previews before it starts', async () => {
    await page.goto(base + '/ops')
    await page.click('[data-test=open-backfill]')
    await page.fill('[data-test=bf-tasks]', 'ods_courses')
    await page.fill('[data-test=bf-from]', '2026-01-01')
    await page.fill('[data-test=bf-to]', '2026-01-03')
    assert.ok(await page.isDisabled('[data-test=bf-start]'), 'start must wait for a preview')
    await page.click('[data-test=bf-preview-btn]')
    await page.locator('[data-test=bf-preview]').waitFor()
    assert.match(await page.textContent('[data-test=bf-preview]'), /3 instance\(s\) over 3 date/)
    await shot('05-backfill-preview')
    await page.keyboard.press('Escape')
  })

  await t.test('dashboard draws its charts', async () => {
    await page.goto(base + '/ops/dashboard')
    await page.locator('[data-test=chart] canvas').first().waitFor()
    await shot('06-dashboard')
  })

  await t.test('day view: the DAG coloured by state and the Gantt chart of the runs', async () => {
    // A backfill of gen_source with its downstream plans a day of instances
    // with dependency edges (runs from the studio have none).
    const token = await page.evaluate(() => localStorage.getItem('kiln.token'))
    const r = await fetch(base + '/api/v1/projects/edu/backfills', { method: 'POST', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ tasks: ['gen_source'], from: '2026-01-20', to: '2026-01-20', downstream: true }) })
    assert.ok(r.ok, 'backfill: ' + r.status)
    await page.goto(`${base}/ops/day?date=2026-01-20`)
    await page.locator('[data-test=day-dag] .vue-flow__node').first().waitFor()
    const labels = await page.locator('[data-test=day-dag] .vue-flow__node').allTextContents()
    assert.ok(labels.some((l) => l.includes('ods_courses')), 'nodes: ' + labels.join(', '))
    await page.locator('[data-test=day-dag] .vue-flow__edge').first().waitFor()
    const bg = await page.locator('[data-test=day-dag] .vue-flow__node', { hasText: 'ods_courses' }).first().evaluate((e) => getComputedStyle(e).backgroundColor)
    assert.notEqual(bg, 'rgb(255, 255, 255)', 'nodes are coloured by state')
    await page.locator('[data-test=render-ms]').waitFor()
    await shot('06b-day-dag')
    // The Gantt chart of the studio's runs on the test day.
    await page.goto(`${base}/ops/day?date=${day}&view=gantt`)
    await page.locator('[data-test=gantt] [data-test=chart] canvas').first().waitFor()
    await shot('06c-day-gantt')
  })

  await t.test('day view of a synthetic graph of 2,000 nodes (figure, not an assertion)', async (t) => {
    await page.goto(`${base}/ops/day?synthetic=2000`)
    const el = page.locator('[data-test=render-ms]')
    await el.waitFor({ timeout: 4 * T })
    const ms = await el.getAttribute('data-ms')
    t.diagnostic(`DAG view of 2,000 nodes: ${ms} ms from mount to every node drawn`)
    console.log(`UI-DAG-2000 render_ms=${ms}`)
    await shot('06d-day-dag-2000')
  })

  await t.test('data map: search, table page and a lineage graph expanded by a click', async () => {
    await page.goto(base + '/datamap')
    await page.fill('[data-test=dm-search]', 'course')
    await page.click('[data-test=dm-go]')
    await page.locator('[data-test=hits] a').first().waitFor()
    await shot('07-datamap')
    await page.goto(base + '/datamap/tables/ods.ods_courses')
    await page.locator('[data-test=columns] tbody tr').first().waitFor()
    await page.locator('[data-test=lineage] .vue-flow__node').first().waitFor()
    await page.waitForFunction(() => document.querySelectorAll('[data-test=lineage] .vue-flow__node').length >= 2)
    const before = await page.locator('[data-test=lineage] .vue-flow__node').count()
    await page.locator('[data-test=lineage]').scrollIntoViewIfNeeded()
    await shot('08-lineage')
    // Expanding a neighbour adds its own neighbours (or at least keeps the graph).
    await page.locator('[data-test=lineage] .vue-flow__node:not(.root)').first().click()
    await page.waitForTimeout(500)
    assert.ok(await page.locator('[data-test=lineage] .vue-flow__node').count() >= before)
  })

  await t.test('query: run a statement and see the grid', async () => {
    await page.goto(base + '/query')
    await page.locator('[data-test=editor] .monaco-editor').waitFor()
    await page.click('[data-test=q-run]')
    await page.locator('[data-test=q-grid] tbody tr').first().waitFor()
    assert.match(await page.textContent('[data-test=q-grid]'), /42/)
    await shot('09-query')
  })

  await t.test('query: download the result as CSV, Excel and Parquet; a statement that is not a query is refused', async () => {
    const { readFileSync } = await import('node:fs')
    const magic = { csv: null, xlsx: 'PK', parquet: 'PAR1' }
    for (const [fmt, head] of Object.entries(magic)) {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-test=q-dl-${fmt}]`)])
      assert.equal(dl.suggestedFilename(), `query.${fmt}`)
      const body = readFileSync(await dl.path())
      if (head) assert.equal(body.subarray(0, head.length).toString('latin1'), head, `${fmt} starts with ${head}`)
      else assert.match(body.toString(), /42/, 'the CSV holds the result')
    }
    await page.click('[data-test=editor] .view-lines')
    await page.keyboard.press('ControlOrMeta+A')
    await page.keyboard.press('Delete')
    await page.keyboard.insertText('DROP TABLE ods.ods_courses')
    await page.click('[data-test=q-dl-csv]')
    await page.locator('[data-test=q-error]').waitFor()
    assert.match(await page.textContent('[data-test=q-error]'), /only a query/)
  })

  await t.test('quality: a table\'s rules and their result history as a chart', async () => {
    const token = await page.evaluate(() => localStorage.getItem('kiln.token'))
    const call = async (method, path, body) => {
      const r = await fetch(base + '/api/v1' + path, { method, headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) })
      const text = await r.text()
      assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`)
      return text ? JSON.parse(text) : null
    }
    await call('POST', '/projects/edu/quality/rules', { task: 'ods_courses', name: 'has_rows', check: 'row_count', min: 1 })
    const inst = await call('POST', '/projects/edu/tasks/ods_courses/runs', { bizdate: day })
    const end = Date.now() + 4 * T
    let results = []
    while (Date.now() < end && !results.length) {
      results = await call('GET', '/projects/edu/quality/results?task=ods_courses&rule=has_rows')
      if (!results.length) await new Promise((r) => setTimeout(r, 300))
    }
    assert.ok(results.length, 'no quality result for instance ' + inst.id)
    await page.goto(`${base}/quality?table=${encodeURIComponent(results[0].table)}`)
    await page.locator('[data-test=qa-rules] tbody tr', { hasText: 'has_rows' }).waitFor()
    await page.locator('[data-test=qa-rule] [data-test=chart] canvas').first().waitFor()
    assert.match(await page.textContent('[data-test=qa-rule]'), /has_rows/)
    await shot('09b-quality')
  })

  await t.test('alerts: the list, and a silence added and ended', async () => {
    await page.goto(base + '/alerts')
    await page.locator('table[data-test=alerts]').waitFor()
    await page.click('[data-test=al-silence-open]')
    await page.fill('[data-test=si-task]', 'ods_courses')
    await page.fill('[data-test=si-for]', '2h')
    await page.fill('[data-test=si-reason]', 'e2e migration')
    await page.click('[data-test=si-submit]')
    const row = page.locator('table[data-test=silences] tbody tr', { hasText: 'e2e migration' })
    await row.waitFor()
    await shot('09c-alerts')
    await row.locator('[data-test=al-unsilence]').click()
    await row.waitFor({ state: 'detached' })
    // A bad duration is refused with the server's message, in the dialog.
    await page.click('[data-test=al-silence-open]')
    await page.fill('[data-test=si-for]', 'soon')
    await page.click('[data-test=si-submit]')
    await page.locator('[data-test=si-err]').waitFor()
    assert.match(await page.textContent('[data-test=si-err]'), /duration/)
  })

  await t.test('console: members and roles, data sources, tokens shown once and revoked', async () => {
    const token = await page.evaluate(() => localStorage.getItem('kiln.token'))
    const r = await fetch(base + '/api/v1/users', { method: 'POST', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'olga', password: 'operator-Pass-1' }) })
    assert.ok(r.ok, 'add user: ' + r.status)
    await page.goto(base + '/console')
    await page.fill('[data-test=mb-user]', 'olga')
    await page.selectOption('[data-test=mb-role]', 'operator')
    await page.click('[data-test=mb-add]')
    const olga = page.locator('tr[data-user=olga]')
    await olga.waitFor()
    assert.equal(await olga.locator('[data-test=mb-change]').inputValue(), 'operator')
    await olga.locator('[data-test=mb-change]').selectOption('developer')
    await page.waitForFunction(async () => {
      const r = await fetch('/api/v1/projects/edu/members', { headers: { Authorization: 'Bearer ' + localStorage.getItem('kiln.token') } })
      return (await r.json()).some((m) => m.user_name === 'olga' && m.role === 'developer')
    })
    await shot('09d-console-members')
    page.once('dialog', (d) => d.accept())
    await olga.locator('[data-test=mb-remove]').click()
    await olga.waitFor({ state: 'detached' })

    await page.click('[data-test=tab-sources]')
    await page.locator('table[data-test=datasources] tbody tr').first().waitFor()
    assert.ok(!/password=|secret=/i.test(await page.textContent('table[data-test=datasources]')), 'a secret is shown')

    await page.click('[data-test=tab-tokens]')
    await page.fill('[data-test=tk-name]', 'e2e-token')
    await page.click('[data-test=tk-create]')
    await page.locator('[data-test=tk-value]').waitFor()
    const value = (await page.textContent('[data-test=tk-value]')).trim()
    assert.ok(value.length > 16, 'token value: ' + value)
    const me = await fetch(base + '/api/v1/me', { headers: { Authorization: 'Bearer ' + value } })
    assert.ok(me.ok, 'the new token works')
    await shot('09e-console-tokens')
    page.once('dialog', (d) => d.accept())
    await page.locator('tr[data-token=e2e-token] [data-test=tk-revoke]').click()
    await page.locator('tr[data-token=e2e-token]').waitFor({ state: 'detached' })
    assert.equal((await fetch(base + '/api/v1/me', { headers: { Authorization: 'Bearer ' + value } })).status, 401, 'a revoked token is refused')
  })

  await t.test('the project switcher shows another project\'s tasks and instances', async () => {
    const token = await page.evaluate(() => localStorage.getItem('kiln.token'))
    const r = await fetch(base + '/api/v1/projects/tiny/apply', { method: 'POST', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ files: { 'kiln.yaml': 'name: tiny\n', 'tasks/hello_tiny.sh': '# kiln:\n#   schedule: "0 3 * * *"\necho hello\n' } }) })
    assert.ok(r.ok, 'apply tiny: ' + r.status + ' ' + (await r.text()))
    await page.goto(base + '/studio') // the header reads the user's projects when the app starts
    await page.locator('[data-test=project] option[value=tiny]').waitFor({ state: 'attached' })
    await page.selectOption('[data-test=project]', 'tiny')
    await page.locator('[data-test=task-tree] [data-task=hello_tiny]').waitFor()
    assert.equal(await page.locator('[data-test=task-tree] [data-task=ods_courses]').count(), 0, 'edu\'s tasks are gone')
    await page.click('[data-nav=ops]')
    await page.locator('table[data-test=instances]').waitFor()
    assert.equal(await page.locator('tr[data-task=ods_courses]').count(), 0, 'edu\'s instances are gone')
    await page.selectOption('[data-test=project]', 'edu')
    await page.locator('tr[data-task=ods_courses]').first().waitFor()
  })

  await t.test('first load with a cold cache (figure, not an assertion)', async (t) => {
    const token = await page.evaluate(() => localStorage.getItem('kiln.token'))
    const ctx = await browser.newContext()
    const p = await ctx.newPage()
    await p.goto(base + '/login')
    await p.evaluate((tok) => localStorage.setItem('kiln.token', tok), token)
    const ctx2 = await browser.newContext({ storageState: await ctx.storageState() })
    const q = await ctx2.newPage()
    const bytes = { js: 0, css: 0 }
    q.on('response', async (r) => {
      const u = r.url()
      const kind = u.endsWith('.js') ? 'js' : u.endsWith('.css') ? 'css' : ''
      if (kind) bytes[kind] += Number(r.headers()['content-length'] ?? (await r.body()).length)
    })
    const t0 = Date.now()
    await q.goto(base + '/ops')
    await q.locator('table[data-test=instances] tbody tr').first().waitFor()
    const shown = Date.now() - t0
    const nav = await q.evaluate(() => JSON.stringify(performance.getEntriesByType('navigation')[0]))
    const load = Math.round(JSON.parse(nav).loadEventEnd)
    t.diagnostic(`first load of /ops: load event ${load} ms, instance list shown ${shown} ms, JS ${bytes.js} B, CSS ${bytes.css} B`)
    console.log(`UI-FIRST-LOAD load_ms=${load} shown_ms=${shown} js_bytes=${bytes.js} css_bytes=${bytes.css}`)
    await ctx.close()
    await ctx2.close()
  })

  await t.test('switching to Chinese changes the page texts', async () => {
    await page.goto(base + '/ops')
    await page.locator('table[data-test=instances]').waitFor()
    const en = await page.textContent('header nav')
    assert.match(en, /Ops center/)
    await page.selectOption('header [data-test=lang]', 'zh')
    await page.waitForFunction(() => document.querySelector('header nav')?.textContent?.includes('运维中心'))
    const zh = await page.textContent('body')
    assert.ok(!/Ops center|Rerun with downstream|Instances/.test(zh), 'English left after switching: ' + zh.slice(0, 300))
    await shot('10-ops-zh')
    await page.goto(base + '/studio/ods_courses')
    await page.locator('[data-test=settings]').waitFor()
    assert.match(await page.textContent('[data-test=settings]'), /调度周期/)
    await shot('11-studio-zh')
    await page.selectOption('header [data-test=lang]', 'en')
  })

  await t.test('a viewer sees what they cannot do disabled or hidden', async () => {
    const token = await page.evaluate(() => localStorage.getItem('kiln.token'))
    const call = async (method, path, body) => {
      const r = await fetch(base + '/api/v1' + path, { method, headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      assert.ok(r.ok, `${method} ${path}: ${r.status} ${await r.text()}`)
    }
    await call('POST', '/users', { name: 'vera', password: 'viewer-Pass-1' })
    await call('PUT', '/projects/edu/members/vera', { role: 'viewer' })
    await page.click('[data-test=signout]')
    await page.waitForURL(/\/login/)
    await page.fill('input[name=user]', 'vera')
    await page.fill('input[name=password]', 'viewer-Pass-1')
    await page.click('button[type=submit]')
    await page.locator('table[data-test=instances] tbody tr').first().waitFor()
    await page.waitForFunction(() => /viewer/.test(document.querySelector('[data-test=role]')?.textContent ?? ''))
    assert.ok(await page.isDisabled('[data-test=open-backfill]'))
    await page.locator('table[data-test=instances] tbody input[type=checkbox]').first().check()
    assert.ok(await page.isDisabled('[data-test=act-rerunDown]'))
    assert.equal(await page.locator('[data-nav=query]').count(), 0, 'query is hidden from viewers')
    await page.goto(base + '/studio/ods_courses')
    await page.locator('[data-test=run]').waitFor()
    assert.ok(await page.isDisabled('[data-test=run]'))
    await shot('12-viewer-studio')
  })
})
