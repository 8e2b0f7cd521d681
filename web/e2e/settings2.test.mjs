// Browser test of the studio's further settings (priority, tags,
// description, parameters, memory limit) and of the day view's filters on
// the Gantt chart and the vue-flow search box (see harness.mjs).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startKiln, T } from './harness.mjs'

const date = '2026-02-03'
let k, page, base, api, shot, g

before(async () => {
  k = await startKiln()
  ;({ page, base, api, shot } = k)
  // A day of instances with dependency edges, every one ended.
  await api('POST', '/projects/edu/backfills', { tasks: ['gen_source'], from: date, to: date, downstream: true })
  const end = Date.now() + 5 * T
  for (;;) {
    g = await api('GET', `/projects/edu/ops/daygraph?date=${date}`)
    if (g.nodes.length > 1 && g.nodes.every((n) => ['success', 'failed', 'killed', 'upstream_failed', 'skipped'].includes(n.state))) break
    assert.ok(Date.now() < end, 'the backfill did not end: ' + g.nodes.map((n) => n.task + ' ' + n.state).join(', '))
    await new Promise((r) => setTimeout(r, 500))
  }
})

after(async () => {
  await k?.stop()
})

const label = (n) => (n.hour ? `${n.task} ${String(n.hour).padStart(2, '0')}h` : n.task)

test('settings and day view filters', { timeout: 10 * T }, async (t) => {
  await t.test('the Gantt chart keeps the filtered rows only', async () => {
    const want = [...new Set(g.nodes.filter((n) => n.started_at && n.state === 'success' && n.task.includes('ods_')).map(label))].sort()
    const total = new Set(g.nodes.filter((n) => n.started_at).map(label)).size
    assert.ok(want.length > 1 && want.length < total, `a filter that leaves some out: ${want.length} of ${total}`)
    await page.goto(`${base}/ops/day?date=${date}&view=gantt&state=success&task=ods_`)
    const gantt = page.locator('[data-test=gantt]')
    await gantt.locator('canvas').first().waitFor()
    assert.equal(await gantt.getAttribute('data-rows'), String(want.length))
    assert.equal(await gantt.getAttribute('data-total'), String(total))
    assert.deepEqual((await gantt.getAttribute('data-labels')).split('|'), want)
    assert.equal((await page.textContent('[data-test=gantt-matched]')).trim(), `${want.length} of ${total} row(s) match the filters`)
    // The chart is sized for those rows (26 px a row + axes).
    const h = await gantt.locator('[data-test=chart]').evaluate((e) => e.getBoundingClientRect().height)
    assert.equal(Math.round(h), Math.max(200, want.length * 26 + 70))
    await shot('settings2-01-gantt-filtered')
    // A filter nothing matches says so; clearing it shows every row.
    await page.selectOption('[data-test=day-f-state]', 'killed')
    await page.locator('[data-test=gantt-none]').waitFor()
    assert.equal(await gantt.getAttribute('data-rows'), '0')
    assert.match(page.url(), /state=killed/)
    await page.selectOption('[data-test=day-f-state]', '')
    await page.fill('[data-test=day-f-task]', '')
    await page.waitForFunction((n) => document.querySelector('[data-test=gantt]')?.getAttribute('data-rows') === String(n), total)
    assert.equal(await page.locator('[data-test=gantt-matched]').count(), 0)
  })

  await t.test('the vue-flow DAG finds nodes', async () => {
    await page.goto(`${base}/ops/day?date=${date}&draw=flow`)
    const dag = page.locator('[data-test=day-dag]')
    await page.locator('[data-test=render-ms]').waitFor()
    await page.fill('[data-test=flow-search]', 'dwd_orders')
    await page.press('[data-test=flow-search]', 'Enter')
    await page.locator('[data-test=flow-search-count]', { hasText: '1 of 1' }).waitFor()
    const id = String(g.nodes.find((n) => n.task === 'dwd_orders').id)
    await page.waitForFunction(() => document.querySelector('[data-test=day-dag]').kilnFlowSearch().zoom >= 1)
    let s = await dag.evaluate((e) => e.kilnFlowSearch())
    assert.deepEqual(s.found, [id])
    assert.equal(s.current, id)
    assert.equal(await page.locator('.vue-flow__node.found').count(), 1)
    await page.locator(`.vue-flow__node[data-id="${id}"]`).evaluate((e) => {
      const r = e.getBoundingClientRect()
      const w = e.closest('[data-test=day-dag]').getBoundingClientRect()
      if (r.right < w.left || r.left > w.right || r.bottom < w.top || r.top > w.bottom) throw new Error('the node found is out of view')
    })
    await shot('settings2-02-flow-search')
    // Several hits: Next centres each in turn at a readable zoom.
    const ods = g.nodes.filter((n) => label(n).includes('ods_')).length
    await page.fill('[data-test=flow-search]', 'ods_')
    await page.click('[data-test=flow-search-go]')
    await page.locator('[data-test=flow-search-count]', { hasText: `1 of ${ods}` }).waitFor()
    assert.equal(await page.locator('.vue-flow__node.found').count(), ods)
    await page.click('[data-test=flow-search-next]')
    await page.locator('[data-test=flow-search-count]', { hasText: `2 of ${ods}` }).waitFor()
    await page.waitForFunction(() => document.querySelector('[data-test=day-dag]').kilnFlowSearch().zoom >= 1)
    s = await dag.evaluate((e) => e.kilnFlowSearch())
    assert.equal(s.current, s.found[1])
    await page.fill('[data-test=flow-search]', 'no_such_task')
    await page.press('[data-test=flow-search]', 'Enter')
    await page.locator('[data-test=flow-search-count]', { hasText: 'No node matches' }).waitFor()
    assert.equal(await page.locator('.vue-flow__node.found').count(), 0)
  })

  await t.test('priority, tags, description and parameters from the panel', async () => {
    await page.goto(`${base}/studio/ods_courses`)
    await page.locator('[data-test=settings]').waitFor()
    await page.fill('[data-test=set-priority]', '7')
    await page.fill('[data-test=set-tags]', 'finance, daily')
    await page.fill('[data-test=set-description]', 'Courses of the day.')
    await page.click('[data-test=add-param]')
    await page.fill('[data-test=param-name-0]', 'lookback')
    await page.fill('[data-test=param-value-0]', '7')
    await page.fill('[data-test=settings-message]', 'more settings')
    await shot('settings2-03-panel')
    await page.click('[data-test=save-settings]')
    await page.locator('[data-test=save-notice]', { hasText: 'version 2' }).waitFor()
    const d = await api('GET', '/projects/edu/tasks/ods_courses')
    const spec = d.current.spec
    assert.equal(spec.priority, 7)
    assert.deepEqual(spec.tags, ['finance', 'daily'])
    assert.equal(spec.description, 'Courses of the day.')
    assert.deepEqual(spec.params, { lookback: '7' })
    const f = await api('GET', '/projects/edu/tasks/ods_courses/file')
    const header = f.content.slice(0, f.content.indexOf('*/'))
    for (const want of ['priority: 7', 'tags: [finance, daily]', 'description: Courses of the day.', 'params:', 'lookback:']) {
      assert.ok(header.includes(want), `header lacks ${want}:\n${f.content}`)
    }
    // The project folder's file says the same.
    const onDisk = readFileSync(join(k.projectDir, 'tasks/ods/ods_courses.sql'), 'utf8')
    assert.ok(onDisk.includes('priority: 7') && onDisk.includes('lookback:'), onDisk)
    await page.waitForFunction(() => /priority:\s7/.test(document.querySelector('[data-test=editor] .view-lines')?.textContent ?? ''))
  })

  await t.test('a bad value shows its problem under the field, nothing saved', async () => {
    await page.click('[data-test=add-param]')
    await page.fill('[data-test=param-name-1]', 'Bad-Name')
    await page.fill('[data-test=param-value-1]', 'x')
    await page.click('[data-test=save-settings]')
    await page.locator('[data-test=field-error-params]', { hasText: 'parameter name "Bad-Name"' }).waitFor()
    await shot('settings2-04-bad-param')
    assert.equal((await api('GET', '/projects/edu/tasks/ods_courses')).current.version, 2)
    // A python task's memory limit: the form itself refuses a negative one
    // (min 0), the server too (cmd/kiln/settings2_test.go).
    await page.goto(`${base}/studio/gen_source`)
    await page.locator('[data-test=set-memory]').waitFor()
    assert.equal(await page.inputValue('[data-test=set-memory]'), '1024')
    const before = (await api('GET', '/projects/edu/tasks/gen_source')).current.version
    await page.fill('[data-test=set-memory]', '-5')
    await page.click('[data-test=save-settings]')
    assert.equal(await page.locator('[data-test=set-memory]').evaluate((e) => e.validity.rangeUnderflow), true)
    await new Promise((r) => setTimeout(r, 500))
    assert.equal((await api('GET', '/projects/edu/tasks/gen_source')).current.version, before)
    await page.fill('[data-test=set-memory]', '2048')
    await page.click('[data-test=save-settings]')
    await page.locator('[data-test=save-notice]', { hasText: `version ${before + 1}` }).waitFor()
    assert.equal((await api('GET', '/projects/edu/tasks/gen_source')).current.spec.memory_limit_mb, 2048)
    // SQL tasks have no memory limit field.
    await page.goto(`${base}/studio/ods_courses`)
    await page.locator('[data-test=set-priority]').waitFor()
    assert.equal(await page.locator('[data-test=set-memory]').count(), 0)
  })

  await t.test('deadline, concurrency cap and self-dependency from the panel', async () => {
    await page.goto(`${base}/studio/ods_courses`)
    await page.locator('[data-test=set-deadline]').waitFor()
    const before = (await api('GET', '/projects/edu/tasks/ods_courses')).current.version
    await page.fill('[data-test=set-deadline]', 'soon')
    await page.click('[data-test=save-settings]')
    await page.locator('[data-test=field-error-deadline]', { hasText: 'want a duration' }).waitFor()
    assert.equal((await api('GET', '/projects/edu/tasks/ods_courses')).current.version, before)
    await page.fill('[data-test=set-deadline]', '3h')
    await page.fill('[data-test=set-max-concurrent]', '2')
    await page.check('[data-test=set-depends-on-past]')
    await page.click('[data-test=save-settings]')
    await page.locator('[data-test=save-notice]', { hasText: `version ${before + 1}` }).waitFor()
    const spec = (await api('GET', '/projects/edu/tasks/ods_courses')).current.spec
    assert.equal(spec.deadline, '3h0m0s')
    assert.equal(spec.max_concurrent, 2)
    assert.equal(spec.depends_on_past, true)
    const onDisk = readFileSync(join(k.projectDir, 'tasks/ods/ods_courses.sql'), 'utf8')
    for (const want of ['deadline: 3h', 'max_concurrent: 2', 'depends_on_past: true']) assert.ok(onDisk.includes(want), onDisk)
    // The form shows what was saved.
    await page.reload()
    await page.locator('[data-test=set-deadline]').waitFor()
    assert.equal(await page.inputValue('[data-test=set-deadline]'), '3h')
    assert.equal(await page.isChecked('[data-test=set-depends-on-past]'), true)
  })

  await t.test('a viewer sees the new fields disabled', async () => {
    await api('POST', '/users', { name: 'vic', password: 'viewer-Pass-1' })
    await api('PUT', '/projects/edu/members/vic', { role: 'viewer' })
    const r = await fetch(base + '/api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'vic', password: 'viewer-Pass-1' }) })
    const viewer = (await r.json()).token
    await page.evaluate((tok) => localStorage.setItem('kiln.token', tok), viewer)
    await page.goto(`${base}/studio/ods_courses`)
    await page.locator('[data-test=settings]').waitFor()
    for (const sel of ['set-priority', 'set-tags', 'set-description', 'param-name-0', 'set-deadline', 'set-max-concurrent', 'set-depends-on-past']) {
      assert.equal(await page.isDisabled(`[data-test=${sel}]`), true, sel)
    }
    assert.equal(await page.locator('[data-test=add-param]').count(), 0)
    const res = await fetch(base + '/api/v1/projects/edu/tasks/ods_courses/settings', {
      method: 'PATCH', headers: { Authorization: 'Bearer ' + viewer, 'Content-Type': 'application/json' }, body: JSON.stringify({ priority: 1 }),
    })
    assert.equal(res.status, 403)
    await page.evaluate((tok) => localStorage.setItem('kiln.token', tok), k.token())
  })
})
