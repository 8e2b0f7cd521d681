// Browser tests of pages reused for another record and of late replies:
// an instance page followed to its upstream and downstream instances, a
// table page followed to another table through the lineage graph (and
// back), late search / dashboard / quality replies that must not replace
// newer ones, and the dashboard's default dates in the browser's time zone.
// Run: KILN_UI_DIR=/tmp/ui-navfix node --test --test-concurrency=1 e2e/navfix.test.mjs
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startKiln, day, T } from './harness.mjs'

let k, page, base, api, shot

before(async () => {
  k = await startKiln()
  ;({ page, base, api, shot } = k)
})

after(async () => {
  await k?.stop()
})

// hold intercepts the first request whose URL matches and keeps it until
// release() is called; every other request goes through. It resolves
// `held` once the request is caught and, after release, `done` once its
// reply has reached the page.
async function hold(match) {
  let caught
  let release
  const held = new Promise((ok) => (caught = ok))
  const gate = new Promise((ok) => (release = ok))
  let req
  const handler = async (route) => {
    if (req || !match(route.request().url())) return route.fallback()
    req = route.request()
    caught()
    await gate
    await route.continue()
  }
  await page.route('**/api/v1/**', handler)
  return {
    held,
    release: async () => {
      const done = page.waitForEvent('requestfinished', (r) => r === req)
      release()
      await done
      await page.unroute('**/api/v1/**', handler)
      // The reply has reached the page: give its handlers a round trip and
      // two frames to show it (if they were going to).
      await page.evaluate(async () => {
        await fetch('/healthz')
        await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)))
      })
    },
  }
}

const columnsShown = () => page.$$eval('[data-test=columns] tbody tr td:first-child', (tds) => tds.map((td) => td.textContent.trim()))
const catalogColumns = async (table) => ((await api('GET', `/projects/edu/datamap/tables/${table}?depth=1`)).catalog?.columns ?? []).map((c) => c.name)

test('pages follow their route and ignore late replies', { timeout: 20 * T }, async (t) => {
  let dwd, ods
  await t.test('build dwd_orders and its sources, with a quality rule', async () => {
    // A backfill plans the instances with their dependency edges (a run
    // of one task has none), so the instance pages have neighbours.
    await api('POST', '/projects/edu/quality/rules', { task: 'dwd_orders', name: 'has_rows', check: 'row_count', min: 1 })
    const tasks = ['gen_source', 'ods_courses', 'ods_orders', 'ods_students', 'ods_teachers', 'dwd_orders']
    const bf = await api('POST', '/projects/edu/backfills', { tasks, from: day, to: day })
    assert.equal(bf.instances.length, tasks.length, 'planned: ' + JSON.stringify(bf.instances))
    const final = ['success', 'failed', 'killed', 'upstream_failed', 'skipped']
    const end0 = Date.now() + 5 * T
    for (const e of bf.instances) {
      for (;;) {
        const inst = (await api('GET', `/instances/${e.id}`)).instance
        if (final.includes(inst.state)) {
          assert.equal(inst.state, 'success', `${e.task}: ${inst.state}`)
          if (e.task === 'dwd_orders') dwd = inst
          break
        }
        assert.ok(Date.now() < end0, `${e.task}: still ${inst.state}`)
        await new Promise((r) => setTimeout(r, 300))
      }
    }
    const ups = await api('GET', `/instances/${dwd.id}/upstream?depth=1`)
    ods = ups.find((x) => x.task_name === 'ods_orders')
    assert.ok(ods, 'ods_orders is upstream of dwd_orders: ' + JSON.stringify(ups))
    const end = Date.now() + 2 * T
    let results = []
    while (Date.now() < end && !results.length) {
      results = await api('GET', '/projects/edu/quality/results?task=dwd_orders&rule=has_rows')
      if (!results.length) await new Promise((r) => setTimeout(r, 300))
    }
    assert.equal(results[0]?.verdict, 'pass', 'quality result: ' + JSON.stringify(results[0]))
    await api('POST', '/projects/edu/datamap/crawl')
  })

  // shows waits until the instance page shows instance id of task, with
  // its rendered SQL and its attempts.
  const shows = async (id, task) => {
    const want = await api('GET', `/instances/${id}`)
    assert.equal(want.instance.task_name, task)
    await page.waitForURL(new RegExp(`/ops/instances/${id}$`))
    assert.match(await page.textContent('[data-test=instance-title]'), new RegExp(`#${id}\\b`))
    await page.waitForFunction((task) => document.querySelector('[data-test=instance-task]')?.textContent.trim() === task, task, { timeout: 20_000 })
    await page.click('[data-test=tab-sql]')
    assert.ok(want.instance.rendered, task + ' has rendered SQL')
    assert.equal((await page.textContent('[data-test=rendered]')).trim(), want.instance.rendered.trim(), task + ': rendered SQL')
    await page.click('[data-test=tab-attempts]')
    await page.locator('[data-test=attempts]').waitFor()
    const started = await page.$$eval('[data-test=attempt]', (rs) => rs.map((r) => r.getAttribute('data-started')))
    assert.deepEqual(started, (want.attempts ?? []).map((a) => a.started_at), task + ': attempts')
    assert.ok(started.length >= 1, task + ' has an attempt')
  }

  await t.test('instance page: following upstream and downstream links shows the new instance', async () => {
    await page.goto(`${base}/ops/instances/${dwd.id}`)
    await shows(dwd.id, 'dwd_orders')
    // Upstream: ods_orders, a different task with its own SQL and attempts.
    await page.locator(`[data-test=upstream] a[href="/ops/instances/${ods.id}"]`).click()
    await shows(ods.id, 'ods_orders')
    const down = page.locator('[data-test=downstream]')
    await down.locator(`a[href="/ops/instances/${dwd.id}"]`).waitFor()
    assert.doesNotMatch(await page.textContent('[data-test=upstream]'), /ods_orders/, 'the upstream list is the new instance\'s')
    await shot('navfix-01-instance-upstream')
    // And back down again.
    await down.locator(`a[href="/ops/instances/${dwd.id}"]`).click()
    await shows(dwd.id, 'dwd_orders')
    await page.locator(`[data-test=upstream] a[href="/ops/instances/${ods.id}"]`).waitFor()
  })

  await t.test('table page: a lineage node opens the other table with its own columns, producer and quality', async () => {
    const dwdCols = await catalogColumns('dwd.dwd_orders')
    const odsCols = await catalogColumns('ods.ods_orders')
    assert.ok(dwdCols.length && odsCols.length, 'both tables are catalogued')
    assert.notDeepEqual(dwdCols, odsCols)
    await page.goto(base + '/datamap/tables/dwd.dwd_orders')
    await page.locator('[data-test=table-quality] tr[data-rule=has_rows]').waitFor()
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=columns] tbody tr').length === n, dwdCols.length)
    assert.deepEqual(await columnsShown(), dwdCols)

    // A node's first click expands it, the second opens its table.
    const node = page.locator('[data-test=lineage] .vue-flow__node[data-id="ods.ods_orders"]')
    await node.dispatchEvent('click')
    await page.locator('[data-test=lineage] .vue-flow__node.open[data-id="ods.ods_orders"]').waitFor()
    await node.dispatchEvent('click')
    await page.waitForURL(/\/datamap\/tables\/ods\.ods_orders$/)
    assert.equal((await page.textContent('[data-test=table-name]')).trim(), 'ods.ods_orders')
    await page.waitForFunction((cols) => {
      const got = [...document.querySelectorAll('[data-test=columns] tbody tr td:first-child')].map((td) => td.textContent.trim())
      return JSON.stringify(got) === JSON.stringify(cols)
    }, odsCols, { timeout: 20_000 })
    await page.locator('[data-test=producer] a[href="/studio/ods_orders"]').waitFor()
    assert.doesNotMatch(await page.textContent('[data-test=producer]'), /dwd_orders/)
    assert.equal(await page.locator('[data-test=table-quality] tr[data-rule=has_rows]').count(), 0, 'the old table\'s rule is gone')
    await shot('navfix-02-table-followed')

    // Back in history: the first table again.
    await page.goBack()
    await page.waitForURL(/\/datamap\/tables\/dwd\.dwd_orders$/)
    await page.waitForFunction((cols) => {
      const got = [...document.querySelectorAll('[data-test=columns] tbody tr td:first-child')].map((td) => td.textContent.trim())
      return JSON.stringify(got) === JSON.stringify(cols)
    }, dwdCols, { timeout: 20_000 })
    await page.locator('[data-test=table-quality] tr[data-rule=has_rows]').waitFor()
  })

  await t.test('data map: a late reply to an earlier search does not replace a newer one', async () => {
    await page.goto(base + '/datamap')
    await page.locator('table[data-test=tables] tbody tr').first().waitFor()
    const late = await hold((u) => /\/datamap\/search\?/.test(u) && /q=order/.test(u))
    await page.fill('[data-test=dm-search]', 'order')
    await page.click('[data-test=dm-go]')
    await late.held
    await page.fill('[data-test=dm-search]', 'teacher')
    await page.click('[data-test=dm-go]')
    await page.locator('[data-test=hits] a', { hasText: 'ods.ods_teachers' }).first().waitFor()
    await late.release()
    const hits = await page.textContent('[data-test=hits]')
    assert.match(hits, /ods\.ods_teachers/)
    assert.doesNotMatch(hits, /orders/, 'the earlier search\'s hits came back: ' + hits)
  })

  await t.test('quality: clearing the table clears its charts, even with its results still on the way', async () => {
    await page.goto(base + '/quality?table=dwd.dwd_orders')
    await page.locator('[data-test=qa-rule]').first().waitFor()
    await page.fill('[data-test=qa-table]', '')
    await page.dispatchEvent('[data-test=qa-table]', 'change')
    await page.waitForFunction(() => document.querySelectorAll('[data-test=qa-rule]').length === 0, null, { timeout: 20_000 })
    assert.doesNotMatch(page.url(), /table=/)

    // Picked, then cleared before its results arrive.
    const late = await hold((u) => /\/quality\/results\?/.test(u) && /table=dwd\.dwd_orders/.test(u))
    await page.fill('[data-test=qa-table]', 'dwd.dwd_orders')
    await page.dispatchEvent('[data-test=qa-table]', 'change')
    await late.held
    await page.fill('[data-test=qa-table]', '')
    await page.dispatchEvent('[data-test=qa-table]', 'change')
    await late.release()
    assert.equal(await page.locator('[data-test=qa-rule]').count(), 0, 'charts of a cleared table')
  })

  await t.test('dashboard: a late reply to an older filter does not replace the newer one', async () => {
    const month = { from: day.slice(0, 8) + '01', to: day.slice(0, 8) + '28' }
    const want = await api('GET', `/projects/edu/ops/summary?from=${month.from}&to=${month.to}&group_by=owner&top=10&tier=normal`)
    const older = await api('GET', `/projects/edu/ops/summary?from=${month.from}&to=${month.to}&group_by=owner&top=10`)
    assert.equal(want.length, 1, 'one owner of normal tasks: ' + JSON.stringify(want))
    assert.ok(older.length > 1, 'several owners: ' + JSON.stringify(older))
    await page.goto(base + '/ops/dashboard')
    await page.selectOption('[data-test=dash-range]', 'custom')
    await page.fill('[data-test=dash-from]', month.from)
    await page.fill('[data-test=dash-to]', month.to)
    const late = await hold((u) => /\/ops\/summary\?/.test(u) && /group_by=owner/.test(u) && !/tier=/.test(u))
    await page.selectOption('[data-test=dash-group]', 'owner')
    await late.held
    await page.selectOption('[data-test=dash-tier]', 'normal')
    await page.waitForFunction(() => document.querySelectorAll('[data-test=summary-row]').length === 1)
    await late.release()
    const rows = await page.locator('[data-test=summary-row]').allTextContents()
    assert.equal(rows.length, 1, 'rows of the older filter: ' + rows.join(' | '))
    assert.match(rows[0], new RegExp(want[0].group))
  })

  await t.test('dashboard: default dates are the browser\'s local days', async () => {
    // 01:30 on 2026-01-15 in Shanghai is still 2026-01-14 in UTC.
    const { ctx, page: p } = await k.pageIn('Asia/Shanghai', new Date('2026-01-15T01:30:00+08:00'))
    try {
      const req = p.waitForRequest((r) => /\/ops\/summary\?/.test(r.url()))
      await p.goto(base + '/ops/dashboard')
      const q = new URL((await req).url()).searchParams
      assert.equal(q.get('to'), '2026-01-15', 'to: ' + q)
      assert.equal(q.get('from'), '2026-01-02', 'from: ' + q)
      // The custom range starts from the local dates too.
      await p.selectOption('[data-test=dash-range]', 'custom')
      assert.equal(await p.inputValue('[data-test=dash-to]'), '2026-01-15')
      assert.equal(await p.inputValue('[data-test=dash-from]'), '2026-01-01')
    } finally {
      await ctx.close()
    }
  })
})
