// Browser tests of the ops center's quality bar (see harness.mjs): the
// canvas DAG of large days (render times of 2,000, 5,000 and 10,000 nodes
// printed, and a real day drawn, hovered and clicked), the instance list's
// owner and tier filters with the total count and the filters in the URL,
// pause and offline as batch actions (offline refused, then forced), and a
// real day of 20,000 instances paged, filtered and acted on. Timings are
// printed as UI-… lines, never asserted.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startKiln, T } from './harness.mjs'

let k, page, base, api, shot
const realDay = '2026-01-20'
const bigDay = '2025-06-01'

before(async () => {
  k = await startKiln()
  ;({ page, base, api, shot } = k)
  page.on('dialog', (d) => d.accept())
})

after(async () => {
  await k?.stop()
})

// waitIdle waits until the instance list has no request in flight.
const waitIdle = () => page.waitForFunction(() => document.querySelector('table[data-test=instances]')?.getAttribute('data-loading') === 'false')
const total = async () => Number(await page.getAttribute('[data-test=total]', 'data-total'))
const rowTasks = () => page.$$eval('table[data-test=instances] tbody tr', (rs) => rs.map((r) => r.getAttribute('data-task')))
// count asks the API how many instances of edu a filter matches.
const count = async (q) => (await api('GET', '/projects/edu/instances/count?' + new URLSearchParams(q))).total

// canvasPixel reads the canvas pixel under a page point as #rrggbb.
const canvasPixel = (x, y) => page.evaluate(([x, y]) => {
  const c = document.querySelector('[data-test=day-canvas] canvas')
  const r = c.getBoundingClientRect()
  const s = c.width / r.width
  const [R, G, B] = c.getContext('2d').getImageData(Math.round((x - r.left) * s), Math.round((y - r.top) * s), 1, 1).data
  return '#' + [R, G, B].map((v) => v.toString(16).padStart(2, '0')).join('')
}, [x, y])
const stateColor = {
  waiting: '#e5e7eb', ready: '#bfdbfe', queued: '#bfdbfe', running: '#60a5fa', success: '#86efac',
  failed: '#fca5a5', killed: '#fdba74', skipped: '#d1d5db', upstream_failed: '#fecaca',
}

test('ops center', { timeout: 30 * T }, async (t) => {
  await t.test('canvas DAG of synthetic graphs: 2,000, 5,000 and 10,000 nodes (figures)', async (t) => {
    for (const n of [2000, 5000, 10000]) {
      await page.goto(`${base}/ops/day?synthetic=${n}`)
      const el = page.locator('[data-test=render-ms]')
      await el.waitFor({ timeout: 4 * T })
      const ms = await el.getAttribute('data-ms')
      const c = page.locator('[data-test=day-canvas]')
      assert.equal(Number(await c.getAttribute('data-nodes')), n)
      assert.equal(await page.locator('[data-test=day-dag] .vue-flow__node').count(), 0, 'a large day is not drawn by vue-flow')
      const layout = await c.getAttribute('data-layout-ms')
      // A zoom step: the wheel, then the next painted frame.
      const box = await page.locator('[data-test=day-canvas] canvas').boundingBox()
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
      const zoomMs = await page.evaluate(async () => {
        const cv = document.querySelector('[data-test=day-canvas] canvas')
        const r = cv.getBoundingClientRect()
        const t0 = performance.now()
        cv.dispatchEvent(new WheelEvent('wheel', { deltaY: -300, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true, cancelable: true }))
        await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)))
        return Math.round(performance.now() - t0)
      })
      t.diagnostic(`canvas DAG of ${n} nodes: ${ms} ms to the first frame (layout ${layout} ms), a zoom step ${zoomMs} ms`)
      console.log(`UI-DAG-CANVAS nodes=${n} render_ms=${ms} layout_ms=${layout} zoom_frame_ms=${zoomMs}`)
      if (n === 2000) {
        await page.click('[data-test=dag-fit]')
        await shot('ops-01-dag-canvas-2000')
      }
    }
  })

  await t.test('canvas DAG of a real day: coloured nodes, hover shows the node, a click opens the instance', async () => {
    // A backfill of gen_source with its downstream plans a day with edges.
    await api('POST', '/projects/edu/backfills', { tasks: ['gen_source'], from: realDay, to: realDay, downstream: true })
    await page.goto(`${base}/ops/day?date=${realDay}&draw=canvas`)
    await page.locator('[data-test=render-ms]').waitFor()
    const c = page.locator('[data-test=day-canvas]')
    const nodes = Number(await c.getAttribute('data-nodes'))
    assert.ok(nodes >= 10, 'nodes: ' + nodes)
    assert.ok(Number(await c.getAttribute('data-edges')) >= nodes - 1, 'edges are drawn')
    const drawn = await c.evaluate((e) => e.kilnNodes())
    assert.equal(drawn.length, nodes, 'a small day fits in view')
    // Every node is filled with its state's colour (read back from the canvas).
    for (const d of drawn) {
      const px = await canvasPixel(d.x + d.w * 0.97, d.y + d.h * 0.12)
      assert.equal(px, stateColor[d.state], `${d.task} (${d.state}) drawn in ${px}`)
    }
    const ods = drawn.find((d) => d.task === 'ods_courses')
    assert.ok(ods, 'ods_courses is drawn')
    await page.mouse.move(ods.x + ods.w / 2, ods.y + ods.h / 2)
    const tip = page.locator('[data-test=day-tip]')
    await tip.waitFor()
    assert.match(await tip.textContent(), /ods_courses/)
    assert.match(await tip.textContent(), /\d+ upstream, \d+ downstream/)
    // Nodes outside its lineage dim: their pixels are no longer their colour.
    const g = await api('GET', `/projects/edu/ops/daygraph?date=${realDay}`)
    const near = new Set([ods.id])
    for (const dir of [['source', 'target'], ['target', 'source']]) {
      const q = [ods.id]
      while (q.length) {
        const u = q.pop()
        for (const e of g.edges) {
          if (e[dir[0]] === u && !near.has(e[dir[1]])) {
            near.add(e[dir[1]])
            q.push(e[dir[1]])
          }
        }
      }
    }
    const far = drawn.filter((d) => !near.has(d.id))
    assert.ok(far.length > 0, 'some node is outside the lineage of ods_courses')
    for (const d of far) assert.notEqual(await canvasPixel(d.x + d.w * 0.97, d.y + d.h * 0.12), stateColor[d.state], d.task + ' dims')
    for (const d of drawn.filter((d) => near.has(d.id) && d.id !== ods.id)) {
      assert.equal(await canvasPixel(d.x + d.w * 0.97, d.y + d.h * 0.12), stateColor[d.state], d.task + ' stays lit')
    }
    await shot('ops-02-dag-canvas-real-day')
    await page.mouse.click(ods.x + ods.w / 2, ods.y + ods.h / 2)
    await page.waitForURL(new RegExp(`/ops/instances/${ods.id}$`))
    await page.locator('[data-test=instance-title]').waitFor()
    // Without ?draw=canvas the same small day stays on vue-flow.
    await page.goto(`${base}/ops/day?date=${realDay}`)
    await page.locator('[data-test=day-dag] .vue-flow__node').first().waitFor()
  })

  await t.test('instance list: owner and tier filters narrow it, the count shows, the URL keeps them', async () => {
    const day = { from: realDay, to: realDay }
    await page.goto(`${base}/ops?from=${realDay}&to=${realDay}`)
    await page.locator('table[data-test=instances] tbody tr').first().waitFor()
    await waitIdle()
    const all = await count(day)
    assert.equal(await total(), all)
    assert.match(await page.textContent('[data-test=total]'), new RegExp(`of 1, ${all} instance`))

    await page.fill('[data-test=f-owner]', 'teaching-ops')
    await page.press('[data-test=f-owner]', 'Enter')
    await page.waitForFunction((n) => Number(document.querySelector('[data-test=total]')?.getAttribute('data-total')) < n, all)
    await waitIdle()
    const own = await count({ ...day, owner: 'teaching-ops' })
    assert.ok(own > 0 && own < all, `owner: ${own} of ${all}`)
    assert.equal(await total(), own)
    const tasks = await api('GET', '/projects/edu/tasks')
    const owner = Object.fromEntries(tasks.map((x) => [x.name, x.owner]))
    for (const task of await rowTasks()) assert.equal(owner[task], 'teaching-ops', task)
    assert.match(page.url(), /owner=teaching-ops/)
    // Text typed but not applied does not leak into a reload of the list
    // (a page size change here): it keeps the applied filter and its count.
    await page.fill('[data-test=f-owner]', 'nobody-at-all')
    await page.selectOption('[data-test=page-size]', '100')
    await page.waitForFunction(() => /size=100/.test(location.search))
    await waitIdle()
    assert.equal(await total(), own)
    assert.match(page.url(), /owner=teaching-ops/)
    await page.fill('[data-test=f-owner]', 'teaching-ops')
    await page.selectOption('[data-test=page-size]', '50')
    await page.waitForFunction(() => !/size=/.test(location.search))
    await waitIdle()
    await shot('ops-03-owner-filter')
    // A reload keeps the filter.
    await page.reload()
    await page.locator('table[data-test=instances] tbody tr').first().waitFor()
    await waitIdle()
    assert.equal(await page.inputValue('[data-test=f-owner]'), 'teaching-ops')
    assert.equal(await total(), own)

    await page.fill('[data-test=f-owner]', '')
    await page.selectOption('[data-test=f-tier]', 'core')
    await page.waitForFunction(() => /tier=core/.test(location.search) && !/owner=/.test(location.search))
    await waitIdle()
    const core = await count({ ...day, tier: 'core' })
    assert.ok(core > 0 && core < all, `core: ${core} of ${all}`)
    assert.equal(await total(), core)
    for (const task of new Set(await rowTasks())) {
      const d = await api('GET', `/projects/edu/tasks/${task}`)
      assert.equal(d.current.spec.tier, 'core', task)
    }
    await shot('ops-04-tier-filter')
    // A filter the API refuses shows its message.
    await page.goto(`${base}/ops?tier=gold`)
    await page.locator('[data-test=err]').waitFor()
    assert.match(await page.textContent('[data-test=err]'), /unknown tier/)
  })

  await t.test('batch actions on the tasks: pause and resume, offline refused then forced', async () => {
    const open = async (task) => {
      await page.goto(`${base}/ops?from=${realDay}&to=${realDay}&task=${task}`)
      const row = page.locator(`tr[data-task=${task}]`).first()
      await row.waitFor()
      await waitIdle()
      await row.locator('input[type=checkbox]').check()
    }
    const status = async (task) => (await api('GET', `/projects/edu/tasks/${task}`)).task.status
    await open('ads_revenue_daily')
    await page.click('[data-test=act-pause]')
    await page.locator('[data-test=msg]', { hasText: 'Done: 1 task' }).waitFor()
    assert.equal(await status('ads_revenue_daily'), 'paused')
    await open('ads_revenue_daily')
    await page.click('[data-test=act-resume]')
    await page.locator('[data-test=msg]', { hasText: 'Done: 1 task' }).waitFor()
    assert.equal(await status('ads_revenue_daily'), 'active')

    // ods_courses has online downstream tasks: refused, then forced.
    await open('ods_courses')
    await page.click('[data-test=act-offline]')
    await page.locator('[data-test=act-offline-force]').waitFor()
    assert.match(await page.textContent('[data-test=msg]'), /online downstream tasks/)
    assert.equal(await status('ods_courses'), 'active')
    await shot('ops-05-offline-refused')
    await page.click('[data-test=act-offline-force]')
    await page.locator('[data-test=msg]', { hasText: 'Done: 1 task' }).waitFor()
    assert.equal(await status('ods_courses'), 'offline')
  })

  await t.test('a day of 20,000 instances: paged, filtered and acted on (figures)', { timeout: 15 * T }, async (t) => {
    // A project of 833 hourly and 8 daily shell tasks in a pool of one slot
    // whose runs sleep, so the backfilled day's instances stay queued. Their
    // crons fire only around the day, so the scheduler plans nothing else.
    const owners = ['ana', 'bo', 'chen', 'dev', 'eli']
    const files = { 'kiln.yaml': 'name: big\ndefaults:\n  owner: ana\n  retries: 0\n  timeout: 2h\n  pool: hold\npools:\n  hold: 1\n' }
    const names = []
    for (let i = 0; i < 841; i++) {
      const name = `t${String(i).padStart(4, '0')}`
      names.push(name)
      files[`tasks/${name}.sh`] = `# kiln:\n#   schedule: "${i < 833 ? '0 * 1,2 6 *' : '0 3 2 6 *'}"\n#   owner: ${owners[i % 5]}\n` +
        (i % 10 === 3 ? '#   tier: core\n' : '') + 'sleep 3600\n'
    }
    let t0 = Date.now()
    await api('POST', '/projects/big/apply', { files })
    const applyMs = Date.now() - t0
    t0 = Date.now()
    const bf = await api('POST', '/projects/big/backfills', { tasks: names, from: bigDay, to: bigDay })
    const backfillMs = Date.now() - t0
    const day = { from: bigDay, to: bigDay }
    const chen = names.reduce((a, _, i) => a + (i % 5 === 2 ? (i < 833 ? 24 : 1) : 0), 0)
    const n = (await api('GET', '/projects/big/instances/count?' + new URLSearchParams(day))).total
    assert.equal(n, 20000, `backfill #${bf.id ?? '?'} planned ${n}`)
    console.log(`UI-OPS-20K seed apply_ms=${applyMs} backfill_ms=${backfillMs} instances=${n}`)

    // The list API alone, for reference.
    const timed = async (path) => {
      const s = performance.now()
      await api('GET', path)
      return Math.round(performance.now() - s)
    }
    const q = (x) => new URLSearchParams({ ...day, ...x })
    const apiMs = {
      first: await timed('/projects/big/instances?' + q({ limit: 50 })),
      last: await timed('/projects/big/instances?' + q({ limit: 50, offset: 19950 })),
      count: await timed('/projects/big/instances/count?' + q({})),
      count_owner: await timed('/projects/big/instances/count?' + q({ owner: 'chen' })),
      list_tier: await timed('/projects/big/instances?' + q({ tier: 'core', limit: 50 })),
    }
    console.log('UI-OPS-20K-API ' + Object.entries(apiMs).map(([k, v]) => `${k}_ms=${v}`).join(' '))

    await page.evaluate(() => localStorage.setItem('kiln.project', 'big'))
    await page.goto(base + '/login') // the session store reads the project at start
    const firstId = () => page.getAttribute('table[data-test=instances] tbody tr:first-child', 'data-id')
    t0 = Date.now()
    await page.goto(`${base}/ops?from=${bigDay}&to=${bigDay}`)
    await page.locator('table[data-test=instances] tbody tr').first().waitFor()
    await page.waitForFunction(() => document.querySelector('[data-test=total]')?.getAttribute('data-total') === '20000')
    const firstMs = Date.now() - t0
    assert.match(await page.textContent('[data-test=total]'), /of 400, 20,000 instance/)
    await shot('ops-06-20k-first-page')

    let id = await firstId()
    t0 = Date.now()
    await page.click('[data-test=next]')
    await page.waitForFunction((id) => document.querySelector('table[data-test=instances] tbody tr')?.getAttribute('data-id') !== id, id)
    const nextMs = Date.now() - t0
    assert.equal(await page.inputValue('[data-test=page-jump]'), '2')

    id = await firstId()
    t0 = Date.now()
    await page.fill('[data-test=page-jump]', '400')
    await page.press('[data-test=page-jump]', 'Enter')
    await page.waitForFunction((id) => document.querySelector('table[data-test=instances] tbody tr')?.getAttribute('data-id') !== id, id)
    const lastMs = Date.now() - t0

    t0 = Date.now()
    await page.selectOption('[data-test=f-state]', 'running')
    await page.waitForFunction(() => document.querySelector('[data-test=total]')?.getAttribute('data-total') !== '' &&
      Number(document.querySelector('[data-test=total]')?.getAttribute('data-total')) < 20000)
    await waitIdle()
    const stateMs = Date.now() - t0
    const running = await total()
    assert.ok(running <= 1, `the pool "hold" has one slot but ${running} instances run`)
    await page.selectOption('[data-test=f-state]', '')
    await page.waitForFunction(() => document.querySelector('[data-test=total]')?.getAttribute('data-total') === '20000')

    t0 = Date.now()
    await page.fill('[data-test=f-owner]', 'chen')
    await page.press('[data-test=f-owner]', 'Enter')
    await page.waitForFunction((n) => document.querySelector('[data-test=total]')?.getAttribute('data-total') === String(n), chen)
    await waitIdle()
    const ownerMs = Date.now() - t0
    for (const task of await rowTasks()) assert.equal(Number(task.slice(1)) % 5, 2, task + ' is chen\'s')

    t0 = Date.now()
    await page.selectOption('[data-test=page-size]', '500')
    await page.waitForFunction(() => document.querySelectorAll('table[data-test=instances] tbody tr').length === 500)
    const size500Ms = Date.now() - t0
    await page.selectOption('[data-test=page-size]', '50')
    await page.waitForFunction(() => document.querySelectorAll('table[data-test=instances] tbody tr').length === 50)
    await waitIdle()

    // Select all on the page and kill: 50 instances.
    t0 = Date.now()
    await page.check('[data-test=sel-all]')
    await page.click('[data-test=act-kill]')
    await page.locator('[data-test=msg]').waitFor({ timeout: 4 * T })
    assert.match(await page.textContent('[data-test=msg]'), /Done: 50 instance/)
    await page.waitForFunction((n) => document.querySelector('[data-test=total]')?.getAttribute('data-total') === String(n), chen)
    const batchMs = Date.now() - t0
    assert.equal((await api('GET', '/projects/big/instances/count?' + q({ state: 'killed' }))).total, 50)
    await shot('ops-07-20k-batch-kill')

    const line = `running=${running} first_ms=${firstMs} next_ms=${nextMs} last_page_ms=${lastMs} state_filter_ms=${stateMs} owner_filter_ms=${ownerMs} page500_ms=${size500Ms} select_all_kill50_ms=${batchMs}`
    t.diagnostic('20,000 instances: ' + line)
    console.log('UI-OPS-20K ' + line)

    // The day's DAG is capped at 5,000 instances by the API; drawn on the canvas.
    t0 = Date.now()
    await page.goto(`${base}/ops/day?date=${bigDay}`)
    await page.locator('[data-test=render-ms]').waitFor({ timeout: 4 * T })
    const dagMs = Date.now() - t0
    const rendered = await page.getAttribute('[data-test=render-ms]', 'data-ms')
    assert.equal(Number(await page.getAttribute('[data-test=day-canvas]', 'data-nodes')), 5000)
    console.log(`UI-OPS-20K-DAG nodes=5000 load_and_render_ms=${dagMs} render_ms=${rendered}`)
    await shot('ops-08-20k-day-dag')
  })
})
