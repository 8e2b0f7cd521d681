// The UI on a phone-sized screen (390×844): the navigation folds behind a
// menu button, and no page is wider than the screen (wide tables scroll
// inside their card instead). Screenshots go to test-output/ui/phone-*.png.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startKiln, runTask } from './harness.mjs'

let k

before(async () => {
  k = await startKiln({ viewport: { width: 390, height: 844 } })
})

after(async () => {
  await k?.stop()
})

// overflow is how many CSS pixels the page is wider than the screen.
const overflow = () => k.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)

test('the UI on a phone', { timeout: 10 * 60_000 }, async (t) => {
  const { page, base, api, shot } = k
  const gen = await runTask(api, 'gen_source')
  assert.equal(gen.state, 'success')
  const ods = await runTask(api, 'ods_courses')
  assert.equal(ods.state, 'success')

  await t.test('the navigation folds behind the menu button', async () => {
    await page.goto(base + '/ops')
    await page.locator('table[data-test=instances] tbody tr').first().waitFor()
    assert.ok(await page.isVisible('[data-test=menu]'), 'menu button shown')
    assert.ok(!(await page.isVisible('[data-nav=studio]')), 'nav hidden until the menu opens')
    await shot('phone-01-ops')
    await page.click('[data-test=menu]')
    await page.locator('[data-nav=studio]').waitFor()
    assert.ok(await page.isVisible('[data-test=lang]'), 'the language switch is in the menu')
    await shot('phone-02-menu')
    await page.click('[data-nav=datamap]')
    await page.waitForURL(/\/datamap$/)
    assert.ok(!(await page.isVisible('[data-nav=studio]')), 'the menu closes after a pick')
  })

  const pages = [
    ['ops', '/ops', 'table[data-test=instances]'],
    ['instance', `/ops/instances/${ods.id}`, '[data-test=instance-title]'],
    ['dashboard', '/ops/dashboard', '[data-test=chart]'],
    ['day', '/ops/day?date=2026-01-15', '[data-test=day-summary]'],
    ['studio', '/studio/ods_courses', '[data-test=task-name]'],
    ['datamap', '/datamap', '[data-test=dm-search]'],
    ['table', '/datamap/tables/ods.ods_courses', '[data-test=columns]'],
    ['query', '/query', '[data-test=q-run]'],
    ['quality', '/quality', '[data-test=qa-table]'],
    ['alerts', '/alerts', 'table[data-test=alerts]'],
    ['console', '/console', 'main h2'],
  ]
  for (const [name, path, sel] of pages) {
    await t.test(`${name} fits the screen`, async () => {
      await page.goto(base + path)
      await page.locator(sel).first().waitFor()
      await page.waitForTimeout(300) // charts and the editor size themselves
      const over = await overflow()
      await shot(`phone-${name}`)
      assert.ok(over <= 1, `${path} is ${over}px wider than the screen`)
    })
  }
})
