// Browser test of the studio's guards (see harness.mjs): unsaved edits are
// kept unless the user agrees to drop them (another task in the tree, an
// upstream link, another page, New task, another project; the tab's
// beforeunload); a task's late reply does not replace the task picked after
// it; the default run date is the browser's local yesterday; load errors of
// the tree, of lineage's suggestions and after a run are shown; a
// double-click starts one run.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startKiln, T } from './harness.mjs'

let k, page, base, shot

before(async () => {
  k = await startKiln()
  ;({ page, base, shot } = k)
  // Every fetch body the page reads is noted once the code awaiting it has
  // run (a macrotask after the body settles), so a test can wait for a
  // reply to have been handled, whatever the page made of it.
  await page.addInitScript(() => {
    const orig = window.fetch
    window.__handled = []
    window.fetch = async (...args) => {
      const r = await orig(...args)
      const u = new URL(args[0] instanceof Request ? args[0].url : String(args[0]), location.href).pathname
      for (const m of ['json', 'text']) {
        const f = r[m].bind(r)
        r[m] = () => {
          const p = f()
          const note = () => setTimeout(() => window.__handled.push(u), 0)
          p.then(note, note)
          return p
        }
      }
      return r
    }
  })
})

after(async () => {
  await k?.stop()
})

// The editor's text as rendered (Monaco shows spaces as no-break spaces).
const editorText = () => page.evaluate(() => (document.querySelector('[data-test=editor] .view-lines')?.textContent ?? '').replace(/\u00a0/g, ' '))
const editorHas = (s) => page.waitForFunction((s) => (document.querySelector('[data-test=editor] .view-lines')?.textContent ?? '').replace(/\u00a0/g, ' ').includes(s), s)

// answer handles the next dialog (accept or dismiss) and resolves with it;
// it fails when none comes.
function answer(accept) {
  return new Promise((ok, fail) => {
    const on = async (d) => {
      clearTimeout(timer)
      const seen = { type: d.type(), message: d.message() }
      await (accept ? d.accept() : d.dismiss())
      ok(seen)
    }
    const timer = setTimeout(() => {
      page.off('dialog', on)
      fail(new Error('no confirmation was asked'))
    }, T)
    page.once('dialog', on)
  })
}
// Whether a beforeunload now would be held back (the browser's warning).
const warnsOnUnload = () => page.evaluate(() => {
  const e = new Event('beforeunload', { cancelable: true })
  window.dispatchEvent(e)
  return e.defaultPrevented
})

async function openTask(name) {
  await page.goto(`${base}/studio/${name}`)
  await page.locator('[data-test=task-name]', { hasText: name }).waitFor()
  await page.locator('[data-test=editor] .monaco-editor').waitFor()
  await editorHas(`target: ods.${name}`)
}

const mark = '-- studioguard unsaved edit'
async function keptOn(name) {
  assert.match(page.url(), new RegExp(`/studio/${name}$`))
  assert.equal((await page.textContent('[data-test=task-name]')).trim(), name)
  assert.ok((await editorText()).includes(mark), 'the typed text is gone:\n' + (await editorText()))
}

test('studio guards', { timeout: 10 * T }, async (t) => {
  await t.test('unsaved edits are kept unless dropped on purpose', async () => {
    await openTask('ods_courses')
    assert.equal(await warnsOnUnload(), false, 'a clean editor holds the tab back')
    await page.click('[data-test=editor] .view-lines', { force: true })
    await page.keyboard.press('ControlOrMeta+End')
    await page.keyboard.insertText('\n' + mark)
    await editorHas(mark)
    assert.equal(await warnsOnUnload(), true, 'closing the tab does not warn')

    // Another task in the tree, refused: nothing changes.
    let asked = answer(false)
    await page.click('[data-test=task-tree] [data-task=ods_orders]')
    const d = await asked
    assert.equal(d.type, 'confirm')
    assert.match(d.message, /unsaved changes/)
    await keptOn('ods_courses')
    await shot('studioguard-01-kept')

    // An upstream link of the settings panel, another page, New task and
    // another project: each asks, and refused, keeps the edit.
    asked = answer(false)
    await page.click('[data-test=set-upstreams] [data-upstream=gen_source] a')
    await asked
    await keptOn('ods_courses')
    asked = answer(false)
    await page.click('[data-nav=ops]')
    await asked
    await keptOn('ods_courses')
    await page.click('[data-test=new-task]')
    await page.fill('[data-test=new-name]', 'dws_guard_e2e')
    asked = answer(false)
    await page.click('[data-test=new-create]')
    await asked
    await keptOn('ods_courses')
    assert.equal(await page.locator('[data-test=draft-name]').count(), 0)
    await page.click('[data-test=new-form] button[type=button]')

    // Accepted: the other task is shown, and the tab no longer warns.
    asked = answer(true)
    await page.click('[data-test=task-tree] [data-task=ods_orders]')
    await asked
    await page.waitForURL(/\/studio\/ods_orders$/)
    await page.locator('[data-test=task-name]', { hasText: 'ods_orders' }).waitFor()
    await editorHas('target: ods.ods_orders')
    assert.ok(!(await editorText()).includes(mark))
    assert.equal(await warnsOnUnload(), false)
  })

  await t.test('switching project asks; refused, the project stays', async () => {
    // A second project in the picker (only the list: it is never loaded).
    await page.route('**/api/v1/me', async (route) => {
      const r = await route.fetch()
      const me = await r.json()
      me.projects = [...(me.projects ?? []), { project: { name: 'other_e2e' }, role: 'owner' }]
      await route.fulfill({ response: r, json: me })
    })
    await openTask('ods_courses')
    await page.locator('[data-test=project] option[value=other_e2e]').waitFor({ state: 'attached' })
    await page.click('[data-test=editor] .view-lines', { force: true })
    await page.keyboard.press('ControlOrMeta+End')
    await page.keyboard.insertText('\n' + mark)
    await editorHas(mark)
    const asked = answer(false)
    await page.selectOption('[data-test=project]', 'other_e2e')
    await asked
    await page.waitForFunction(() => document.querySelector('[data-test=project]').value === 'edu')
    assert.equal(await page.evaluate(() => localStorage.getItem('kiln.project')), 'edu')
    await keptOn('ods_courses')
    await page.unroute('**/api/v1/me')
    // Drop the edit so that the next page load is not held back.
    const dropped = answer(true)
    await page.click('[data-test=task-tree] [data-task=ods_orders]')
    await dropped
    await page.locator('[data-test=task-name]', { hasText: 'ods_orders' }).waitFor()
  })

  await t.test('a late reply for an earlier task does not replace the later one', async () => {
    await page.goto(`${base}/studio`)
    await page.locator('[data-test=task-tree] [data-task=ods_courses]').waitFor()
    // ods_courses's file answers only once ods_refunds is shown.
    let hit, release
    const reached = new Promise((r) => (hit = r))
    const held = new Promise((r) => (release = r))
    const slow = '**/api/v1/projects/edu/tasks/ods_courses/file'
    await page.route(slow, async (route) => {
      hit()
      await held
      await route.continue()
    })
    await page.click('[data-test=task-tree] [data-task=ods_courses]')
    await reached
    await page.click('[data-test=task-tree] [data-task=ods_refunds]')
    await page.waitForURL(/\/studio\/ods_refunds$/)
    await page.locator('[data-test=task-name]', { hasText: 'ods_refunds' }).waitFor()
    await editorHas('target: ods.ods_refunds')
    release()
    await page.waitForFunction(() => window.__handled.includes('/api/v1/projects/edu/tasks/ods_courses/file'))
    await page.unroute(slow)
    assert.match(page.url(), /\/studio\/ods_refunds$/)
    assert.equal((await page.textContent('[data-test=task-name]')).trim(), 'ods_refunds')
    const text = await editorText()
    assert.ok(text.includes('target: ods.ods_refunds') && !text.includes('target: ods.ods_courses'), 'the editor shows another file:\n' + text)
    assert.equal(await page.isDisabled('[data-test=save]'), true, 'the editor is dirty')
    await shot('studioguard-02-late-reply')
  })

  await t.test('the tree and lineage suggestions say when they cannot load', async () => {
    const fail = (message) => (route) => route.request().method() === 'GET'
      ? route.fulfill({ status: 500, json: { error: { code: 'internal', message } } })
      : route.continue()
    await page.route('**/api/v1/projects/edu/tasks', fail('tree down (e2e)'))
    await page.route('**/api/v1/projects/edu/tasks/*/upstream-advice', fail('lineage down (e2e)'))
    await openTask('ods_courses')
    await page.locator('[data-test=tree-error]', { hasText: 'Could not load the tasks: tree down (e2e)' }).waitFor()
    await page.locator('[data-test=suggest-error]', { hasText: 'lineage down (e2e)' }).waitFor()
    await shot('studioguard-03-load-errors')
    await page.unroute('**/api/v1/projects/edu/tasks')
    await page.unroute('**/api/v1/projects/edu/tasks/*/upstream-advice')
  })

  await t.test('a double-click starts one run; an error after it ends is shown', async () => {
    await page.goto(`${base}/studio/gen_source`)
    await page.locator('[data-test=task-name]', { hasText: 'gen_source' }).waitFor()
    let posts = 0
    let hit, release
    const reached = new Promise((r) => (hit = r))
    const held = new Promise((r) => (release = r))
    const runs = '**/api/v1/projects/edu/tasks/gen_source/runs'
    await page.route(runs, async (route) => {
      if (route.request().method() !== 'POST') return route.continue()
      posts++
      hit()
      await held
      await route.continue()
    })
    // The instance's state, read once its log ends, fails.
    const inst = /\/api\/v1\/instances\/[^/?]+$/
    await page.route(inst, (route) => route.request().method() === 'GET'
      ? route.fulfill({ status: 500, json: { error: { code: 'internal', message: 'instance lookup failed (e2e)' } } })
      : route.continue())
    await page.fill('[data-test=run-date]', '2026-01-15')
    await page.dblclick('[data-test=run]')
    await reached
    await page.waitForFunction(() => document.querySelector('[data-test=run]')?.disabled === true)
    release()
    await page.locator('[data-test=run-panel]').waitFor()
    await page.waitForFunction(() => document.querySelector('[data-test=run]')?.disabled === false)
    assert.equal(posts, 1, 'runs started')
    await page.locator('[data-test=studio-error]', { hasText: 'instance lookup failed (e2e)' }).waitFor({ timeout: 4 * T })
    await shot('studioguard-04-run-error')
    await page.unroute(runs)
    await page.unroute(inst)
  })

  await t.test('the run date defaults to yesterday in the browser\'s time zone', async () => {
    // 12:00 UTC on 10 March: already 11 March at UTC+14, still 10 March at
    // UTC−11 (yesterday: 10 and 9 March; UTC's would be 9 March for both).
    for (const [tz, want] of [['Pacific/Kiritimati', '2026-03-10'], ['Pacific/Pago_Pago', '2026-03-09'], ['UTC', '2026-03-09']]) {
      const { ctx, page: p } = await k.pageIn(tz, new Date('2026-03-10T12:00:00Z'))
      try {
        await p.goto(`${base}/studio/ods_courses`)
        await p.locator('[data-test=run-date]').waitFor()
        assert.equal(await p.inputValue('[data-test=run-date]'), want, tz)
      } finally {
        await ctx.close()
      }
    }
  })
})
