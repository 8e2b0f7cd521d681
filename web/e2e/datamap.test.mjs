// Browser test of the data map's table page (owner, tags, size, quality
// verdicts, lineage at table and column level), the search filters, and
// the console's connection test. Run: KILN_UI_DIR=… node --test e2e/datamap.test.mjs
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startKiln, runTask, T } from './harness.mjs'

let k, page, base, api, shot

before(async () => {
  k = await startKiln()
  ;({ page, base, api, shot } = k)
})

after(async () => {
  await k?.stop()
})

test('data map and connection test', { timeout: 15 * T }, async (t) => {
  await t.test('build dwd_orders and its sources, with a quality rule', async () => {
    for (const task of ['gen_source', 'ods_courses', 'ods_orders', 'ods_students']) {
      const inst = await runTask(api, task)
      assert.equal(inst.state, 'success', `${task}: ${inst.state}`)
    }
    await api('POST', '/projects/edu/quality/rules', { task: 'dwd_orders', name: 'has_rows', check: 'row_count', min: 1 })
    const inst = await runTask(api, 'dwd_orders')
    assert.equal(inst.state, 'success', 'dwd_orders: ' + inst.state)
    const end = Date.now() + 2 * T
    let results = []
    while (Date.now() < end && !results.length) {
      results = await api('GET', '/projects/edu/quality/results?task=dwd_orders&rule=has_rows')
      if (!results.length) await new Promise((r) => setTimeout(r, 300))
    }
    assert.equal(results[0]?.verdict, 'pass', 'quality result: ' + JSON.stringify(results[0]))
    await api('POST', '/projects/edu/datamap/crawl') // the catalog sees the new tables now
  })

  await t.test('table page: owner, tags, size and the quality verdict', async () => {
    await page.goto(base + '/datamap/tables/dwd.dwd_orders')
    await page.locator('[data-test=table-facts]').waitFor()
    assert.equal((await page.textContent('[data-test=table-owner]')).trim(), 'finance-data')
    const tags = await page.textContent('[data-test=table-tags]')
    for (const tag of ['edu', 'dwd', 'finance']) assert.match(tags, new RegExp(tag), 'tags: ' + tags)
    assert.equal((await page.textContent('[data-test=table-layer]')).trim(), 'dwd')
    assert.match(await page.textContent('[data-test=table-rows]'), /\d/)
    const rule = page.locator('[data-test=table-quality] tr[data-rule=has_rows]')
    await rule.waitFor()
    assert.match(await rule.locator('[data-test=qa-verdict]').textContent(), /pass/)
    assert.match(await page.getAttribute('[data-test=quality-link]', 'href'), /\/quality\?table=dwd\.dwd_orders/)
    await shot('dm-01-table-page')
  })

  await t.test('lineage at column level: column edges, a node expanded, a column path', async () => {
    await page.locator('[data-test=lineage] .vue-flow__node').first().waitFor()
    await page.click('[data-test=lg-level-column]')
    const graph = page.locator('[data-test=col-lineage]')
    await graph.locator('.vue-flow__edge').first().waitFor()
    // The root's upstream columns come from the three ODS tables.
    for (const tbl of ['ods.ods_orders', 'ods.ods_courses', 'ods.ods_students']) {
      await graph.locator(`[data-table="${tbl}"]`).waitFor()
    }
    await graph.locator('[data-col="ods.ods_courses.subject"]').waitFor()
    await graph.locator('[data-col="dwd.dwd_orders.subject"]').waitFor()
    const nodes = await graph.locator('.vue-flow__node').count()
    const edges = await graph.locator('.vue-flow__edge').count()
    assert.ok(nodes >= 4 && edges >= 5, `nodes ${nodes}, edges ${edges}`)
    await graph.scrollIntoViewIfNeeded()
    await shot('dm-02-column-lineage')

    // Expanding ods.ods_courses adds its other readers (dim_course, …).
    // The graph pans rather than shrinks, so nodes may lie outside the view:
    // clicks are dispatched to the element.
    await graph.locator('[data-table="ods.ods_courses"] [data-test=col-head]').dispatchEvent('click')
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=col-lineage] .vue-flow__node').length > n, nodes)
    await graph.locator('[data-table="dim.dim_course"]').waitFor()
    assert.ok(await graph.locator('.vue-flow__edge').count() > edges)

    // A column's path: subject comes from ods_courses.subject.
    await graph.locator('[data-col="dwd.dwd_orders.subject"]').dispatchEvent('click')
    await page.locator('[data-test=col-path]').waitFor()
    assert.match(await page.textContent('[data-test=col-path]'), /dwd\.dwd_orders\.subject: [1-9]\d* upstream/)
    await graph.locator('[data-col="ods.ods_courses.subject"].hl').waitFor()
    assert.ok(await graph.locator('.ccol.dim').count() > 0, 'columns off the path are dimmed')
    await shot('dm-03-column-path')

    // Only columns with edges are listed until "show all": dt is a literal.
    assert.equal(await graph.locator('[data-col="dwd.dwd_orders.dt"]').count(), 0)
    await page.check('[data-test=lg-all]')
    await graph.locator('[data-col="dwd.dwd_orders.dt"]').waitFor()
  })

  await t.test('search filtered by owner', async () => {
    await page.goto(base + '/datamap')
    await page.locator('table[data-test=tables] tbody tr').first().waitFor()
    await page.fill('[data-test=dm-search]', 'order')
    await page.click('[data-test=dm-go]')
    await page.locator('[data-test=hits] a', { hasText: 'ods.ods_orders' }).first().waitFor()
    await page.selectOption('[data-test=dm-owner]', 'finance-data')
    await page.waitForFunction(() => {
      const owners = [...document.querySelectorAll('[data-test=dm-hit-owner]')].map((e) => e.textContent.trim())
      return owners.length > 0 && owners.every((o) => o === 'finance-data')
    })
    const hits = await page.textContent('[data-test=hits]')
    assert.match(hits, /dwd\.dwd_orders/)
    assert.ok(!/ods\.ods_orders/.test(hits), 'a table of another owner is listed: ' + hits)
    const rows = await page.locator('[data-test=dm-row-owner]').allTextContents()
    assert.ok(rows.length > 0 && rows.every((o) => o.trim() === 'finance-data'), 'browse list: ' + rows.join(', '))
    await shot('dm-04-search-owner')
    // The search and its filter are in the URL: a table opened from the
    // hits and Back return to them.
    await page.waitForURL((u) => u.searchParams.get('q') === 'order' && u.searchParams.get('owner') === 'finance-data')
    await page.locator('[data-test=hits] a', { hasText: 'dwd.dwd_orders' }).first().click()
    await page.waitForURL(/\/datamap\/tables\//)
    await page.goBack()
    await page.locator('[data-test=hits] a', { hasText: 'dwd.dwd_orders' }).first().waitFor()
    assert.equal(await page.inputValue('[data-test=dm-search]'), 'order')
    assert.equal(await page.inputValue('[data-test=dm-owner]'), 'finance-data')
    assert.ok(!/ods\.ods_orders/.test(await page.textContent('[data-test=hits]')))
  })

  await t.test('console: test a data source connection, and a broken one', async () => {
    await page.goto(base + '/console')
    await page.click('[data-test=tab-sources]')
    const wh = page.locator('tr[data-source=warehouse]')
    await wh.waitFor()
    await wh.locator('[data-test=ds-test]').click()
    await wh.locator('[data-test=ds-result][data-ok=true]').waitFor()
    assert.match(await wh.locator('[data-test=ds-result]').textContent(), /OK in \d+ ms.*v\d/)
    await shot('dm-05-console-test-ok')

    // A project whose data source points at a closed port.
    await api('POST', '/projects/e2e_conn/apply', {
      files: {
        'kiln.yaml': 'name: e2e_conn\ndefault_engine: down\nengines:\n  down:\n    kind: postgres\n    dsn: postgres://postgres@127.0.0.1:1/postgres?sslmode=disable\n',
        'tasks/t.sql': '/* kiln\ntarget: t\nwrite_mode: overwrite\n*/\nSELECT 1 AS id\n',
      },
    })
    await page.goto(base + '/console')
    await page.selectOption('header [data-test=project]', 'e2e_conn')
    await page.click('[data-test=tab-sources]')
    const down = page.locator('tr[data-source=down]')
    await down.waitFor()
    await down.locator('[data-test=ds-test]').click()
    await down.locator('[data-test=ds-result][data-ok=false]').waitFor()
    assert.match(await down.locator('[data-test=ds-result]').textContent(), /Failed after \d+ ms: .*(refused|connect)/)
    assert.ok(!/password=|secret=/i.test(await page.textContent('table[data-test=datasources]')), 'a secret is shown')
    await shot('dm-06-console-test-failed')
    await page.selectOption('header [data-test=project]', 'edu')
  })
})
