// The quality page's rule form (add, a bad value's server message, edit,
// delete, a viewer's disabled controls) and the day view's filters and
// canvas search.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startKiln, runTask, T, password } from './harness.mjs'

const date = '2026-01-20'

test('quality rules edited on the page; day view filters and search', { timeout: 12 * T }, async (t) => {
  const k = await startKiln()
  const { base, page, api, shot } = k
  try {
    for (const task of ['gen_source', 'ods_courses']) {
      const inst = await runTask(api, task)
      assert.equal(inst.state, 'success', `${task}: ${inst.state}`)
    }
    const apiRules = async () => (await api('GET', '/projects/edu/quality/rules?task=ods_courses')).filter((r) => r.source === 'api')
    const row = (name) => page.locator('[data-test=qa-rules] tbody tr', { hasText: name })

    await t.test('add a rule through the form and see it listed', async () => {
      await page.goto(`${base}/quality`)
      await page.click('[data-test=qa-add]')
      await page.selectOption('[data-test=qa-f-task]', 'ods_courses')
      await page.fill('[data-test=qa-f-name]', 'ui_rows')
      await page.selectOption('[data-test=qa-f-check]', 'row_count')
      await page.fill('[data-test=qa-f-min]', '1')
      await shot('qe-01-form')
      await page.click('[data-test=qa-f-save]')
      await row('ui_rows').waitFor()
      assert.equal(await row('ui_rows').getAttribute('data-source'), 'api')
      assert.match(await page.textContent('[data-test=qa-note]'), /ui_rows/)
      const rs = await apiRules()
      assert.equal(rs.length, 1)
      assert.equal(rs[0].rule.min, 1)
    })

    await t.test('a bad value shows the server\'s message and saves nothing', async () => {
      await page.click('[data-test=qa-add]')
      await page.selectOption('[data-test=qa-f-task]', 'ods_courses')
      await page.fill('[data-test=qa-f-name]', 'ui_bad')
      await page.selectOption('[data-test=qa-f-check]', 'row_count')
      await page.fill('[data-test=qa-f-min]', '10')
      await page.fill('[data-test=qa-f-max]', '1')
      await page.click('[data-test=qa-f-save]')
      const msg = await page.locator('[data-test=qa-form-err]').textContent()
      assert.match(msg, /min 10 is above max 1/)
      // A column the table lacks (it exists: ods_courses ran).
      await page.selectOption('[data-test=qa-f-check]', 'null_rate')
      await page.fill('[data-test=qa-f-column]', 'nope')
      await page.fill('[data-test=qa-f-min]', '')
      await page.fill('[data-test=qa-f-max]', '0.1')
      await page.click('[data-test=qa-f-save]')
      await page.waitForFunction(() => /column nope not in table/.test(document.querySelector('[data-test=qa-form-err]')?.textContent ?? ''))
      await shot('qe-02-bad-value')
      assert.equal((await apiRules()).length, 1, 'nothing saved')
      await page.click('[data-test=qa-f-cancel]')
    })

    await t.test('edit the rule: same ID, new bounds and severity', async () => {
      const [before] = await apiRules()
      await row('ui_rows').locator('[data-test=qa-edit]').click()
      assert.equal(await page.inputValue('[data-test=qa-f-min]'), '1', 'the form holds the rule')
      await page.fill('[data-test=qa-f-max]', '100000')
      await page.selectOption('[data-test=qa-f-severity]', 'strong')
      await page.click('[data-test=qa-f-save]')
      await page.waitForFunction(() => !document.querySelector('[data-test=qa-form]'))
      await row('ui_rows').waitFor()
      assert.match(await row('ui_rows').textContent(), /strong/)
      const after = await apiRules()
      assert.equal(after.length, 1)
      assert.equal(after[0].id, before.id, 'edited in place')
      assert.equal(after[0].rule.max, 100000)
      assert.equal(after[0].rule.severity, 'strong')
      // A bad edit keeps the rule as it was.
      await row('ui_rows').locator('[data-test=qa-edit]').click()
      await page.fill('[data-test=qa-f-min]', 'lots')
      await page.click('[data-test=qa-f-save]')
      const msg = await page.locator('[data-test=qa-form-err]').textContent()
      assert.ok(msg.trim().length > 0, 'the server says why')
      t.diagnostic('non-number min: ' + msg)
      await page.click('[data-test=qa-f-cancel]')
      assert.equal((await apiRules())[0].rule.min, 1)
      await shot('qe-03-edited')
    })

    await t.test('delete the rule', async () => {
      page.once('dialog', (d) => d.accept())
      await row('ui_rows').locator('[data-test=qa-delete]').click()
      await row('ui_rows').waitFor({ state: 'detached' })
      assert.equal((await apiRules()).length, 0)
    })

    await t.test('a viewer sees the rule controls disabled', async () => {
      await api('POST', '/projects/edu/quality/rules', { task: 'ods_courses', name: 'kept', check: 'row_count', min: 1 })
      await api('POST', '/users', { name: 'vic', password: 'viewer-Pass-1' })
      await api('PUT', '/projects/edu/members/vic', { role: 'viewer' })
      const login = await fetch(base + '/api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'vic', password: 'viewer-Pass-1', token_name: 'e2e' }) })
      const vtok = (await login.json()).token
      await page.evaluate((tok) => localStorage.setItem('kiln.token', tok), vtok)
      await page.goto(`${base}/quality`)
      await row('kept').waitFor()
      for (const sel of ['[data-test=qa-add]', '[data-test=qa-edit]', '[data-test=qa-delete]']) {
        assert.ok(await page.isDisabled(sel), sel + ' disabled')
        assert.equal(await page.getAttribute(sel, 'title'), 'Your role cannot do this')
      }
      await shot('qe-04-viewer')
      // Back to admin.
      const admin = await fetch(base + '/api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'admin', password, token_name: 'e2e2' }) })
      await page.evaluate((tok) => localStorage.setItem('kiln.token', tok), (await admin.json()).token)
    })

    // A day of instances with dependency edges, every one ended.
    await api('POST', '/projects/edu/backfills', { tasks: ['gen_source'], from: date, to: date, downstream: true })
    let g
    const end = Date.now() + 5 * T
    for (;;) {
      g = await api('GET', `/projects/edu/ops/daygraph?date=${date}`)
      if (g.nodes.length > 1 && g.nodes.every((n) => ['success', 'failed', 'killed', 'upstream_failed', 'skipped'].includes(n.state))) break
      assert.ok(Date.now() < end, 'the backfill did not end: ' + g.nodes.map((n) => n.task + ' ' + n.state).join(', '))
      await new Promise((r) => setTimeout(r, 500))
    }
    const count = (f) => g.nodes.filter(f).length

    await t.test('day view on the canvas: filter by state and by task, positions kept', async () => {
      await page.goto(`${base}/ops/day?date=${date}&draw=canvas`)
      const c = page.locator('[data-test=day-canvas]')
      await c.waitFor()
      await page.locator('[data-test=render-ms]').waitFor()
      const all = await c.evaluate((e) => e.kilnNodes())
      assert.equal(all.length, g.nodes.length)
      await page.selectOption('[data-test=day-f-state]', 'success')
      const ok = count((n) => n.state === 'success')
      await page.waitForFunction((n) => document.querySelector('[data-test=day-matched]')?.getAttribute('data-n') === String(n), ok)
      assert.equal(await c.getAttribute('data-matched'), String(ok))
      let drawn = await c.evaluate((e) => e.kilnNodes())
      for (const d of drawn) assert.equal(d.dimmed, d.state !== 'success', `${d.task} ${d.state}`)
      const pos = (xs) => Object.fromEntries(xs.map((d) => [d.id, [Math.round(d.x), Math.round(d.y)]]))
      assert.deepEqual(pos(drawn), pos(all), 'the filter moves no node')
      await page.selectOption('[data-test=day-f-state]', '')
      await page.fill('[data-test=day-f-task]', 'ods_')
      const ods = count((n) => n.task.includes('ods_'))
      await page.waitForFunction((n) => document.querySelector('[data-test=day-matched]')?.getAttribute('data-n') === String(n), ods)
      drawn = await c.evaluate((e) => e.kilnNodes())
      for (const d of drawn) assert.equal(d.dimmed, !d.task.includes('ods_'), d.task)
      assert.match(page.url(), /task=ods_/)
      await shot('qe-05-day-filter')
      await page.fill('[data-test=day-f-task]', '')
      await page.waitForFunction(() => !document.querySelector('[data-test=day-matched]'))
    })

    await t.test('day view on the canvas: search centres and outlines the node', async () => {
      const c = page.locator('[data-test=day-canvas]')
      const target = g.nodes.find((n) => n.task === 'dwd_orders') ?? g.nodes[g.nodes.length - 1]
      await page.fill('[data-test=dag-search]', target.task)
      await page.press('[data-test=dag-search]', 'Enter')
      await page.waitForFunction(() => Number(document.querySelector('[data-test=day-canvas]')?.getAttribute('data-found')) > 0)
      const s = await c.evaluate((e) => e.kilnSearch())
      assert.equal(s.current, target.id)
      assert.match(await page.textContent('[data-test=dag-search-count]'), /1 of 1/)
      await page.waitForFunction(() => document.querySelector('[data-test=day-canvas]').kilnNodes().some((d) => d.current))
      const d = (await c.evaluate((e) => e.kilnNodes())).find((x) => x.id === target.id)
      assert.ok(d && d.found && d.current, 'the node is drawn and marked found')
      assert.ok(Math.abs(d.x + d.w / 2 - s.centre.x) < 2 && Math.abs(d.y + d.h / 2 - s.centre.y) < 2,
        `centred: node at ${d.x + d.w / 2},${d.y + d.h / 2}, centre ${s.centre.x},${s.centre.y}`)
      assert.ok(Number(await c.getAttribute('data-zoom')) >= 1, 'zoomed in to read it')
      // The outline is drawn: the pixel just inside the node's edge is amber.
      const px = await c.evaluate((e, p) => {
        const cv = e.querySelector('canvas')
        const r = cv.getBoundingClientRect()
        const dpr = cv.width / r.width
        return [...cv.getContext('2d').getImageData(Math.round((p.x - r.left + 1) * dpr), Math.round((p.y - r.top + p.h / 2) * dpr), 1, 1).data]
      }, d)
      assert.deepEqual(px.slice(0, 3), [0xf5, 0x9e, 0x0b], 'amber outline')
      // Several hits: Next moves to the second.
      await page.fill('[data-test=dag-search]', 'ods_')
      await page.click('[data-test=dag-search-go]')
      const s1 = await c.evaluate((e) => e.kilnSearch())
      assert.equal(s1.found.length, count((n) => n.task.includes('ods_')))
      await page.click('[data-test=dag-search-next]')
      const s2 = await c.evaluate((e) => e.kilnSearch())
      assert.equal(s2.current, s1.found[1])
      await page.fill('[data-test=dag-search]', 'no_such_task')
      await page.press('[data-test=dag-search]', 'Enter')
      assert.match(await page.textContent('[data-test=dag-search-count]'), /No node matches/)
      await page.fill('[data-test=dag-search]', target.task)
      await page.press('[data-test=dag-search]', 'Enter')
      await shot('qe-06-day-search')
    })

    await t.test('day view with vue-flow: the filter dims the other nodes', async () => {
      await page.goto(`${base}/ops/day?date=${date}&state=success`)
      await page.locator('[data-test=day-dag] .vue-flow__node').first().waitFor()
      assert.equal(await page.inputValue('[data-test=day-f-state]'), 'success', 'the filter survives a reload')
      await page.selectOption('[data-test=day-f-state]', '')
      await page.fill('[data-test=day-f-task]', 'ods_')
      const ods = count((n) => n.task.includes('ods_'))
      await page.waitForFunction((n) => document.querySelectorAll('[data-test=day-dag] .vue-flow__node.dim').length === n, g.nodes.length - ods)
      const dim = await page.locator('[data-test=day-dag] .vue-flow__node.dim').allTextContents()
      assert.ok(dim.every((l) => !l.includes('ods_')), 'dimmed: ' + dim.join(', '))
      await shot('qe-07-day-flow-filter')
    })
    assert.deepEqual(k.errors().filter((e) => !/40[03]|422|Failed to load resource/.test(e)), [], 'no browser errors')
  } finally {
    await k.stop()
  }
})
