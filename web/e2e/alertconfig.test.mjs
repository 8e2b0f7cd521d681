// Browser test of the alert settings (channels with a test send to a real
// local webhook receiver, policies, on-call rota) and the console's pools,
// against `kiln server` (see harness.mjs). Run with:
//   cd web && KILN_UI_OUT=/tmp/ui-alerts npx vite build && KILN_UI_DIR=/tmp/ui-alerts node --test e2e/alertconfig.test.mjs
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { startKiln, T } from './harness.mjs'

let k, page, base, api, shot
let hook, hookURL
const received = []

before(async () => {
  // The webhook receiver the channel points at.
  hook = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      received.push(JSON.parse(body || '{}'))
      res.end('{}')
    })
  })
  await new Promise((ok) => hook.listen(0, '127.0.0.1', ok))
  hookURL = `http://127.0.0.1:${hook.address().port}/hook`
  k = await startKiln()
  ;({ page, base, api, shot } = k)
})

after(async () => {
  await k?.stop()
  hook?.close()
})

const until = async (f, what) => {
  const end = Date.now() + T
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what)
    await new Promise((r) => setTimeout(r, 100))
  }
}

test('alert settings and pools in the web UI', { timeout: 10 * T }, async (t) => {
  await t.test('channels: add a webhook, send a test the receiver gets; a bad channel shows the server error', async () => {
    await page.goto(base + '/alerts')
    await page.click('[data-test=al-tab-channels]')
    await page.locator('[data-test=ch-none]').waitFor()
    await page.click('[data-test=ch-new]')
    await page.fill('[data-test=ch-name]', 'ops-hook')
    await page.selectOption('[data-test=ch-kind]', 'webhook')
    await page.fill('[data-test=ch-url]', hookURL)
    await page.click('[data-test=ch-save]')
    const row = page.locator('[data-channel=ops-hook]')
    await row.waitFor()
    await row.locator('[data-test=ch-test]').click()
    await row.locator('[data-test=ch-result] .ok').waitFor()
    await until(() => received.length > 0, 'the test message')
    assert.equal(received[0].kind, 'test')
    assert.equal(received[0].project, 'edu')
    assert.match(received[0].title, /test message to channel ops-hook/)
    await shot('alertcfg-01-channels')

    await page.click('[data-test=ch-new]')
    await page.fill('[data-test=ch-name]', 'chat')
    await page.selectOption('[data-test=ch-kind]', 'slack')
    await page.click('[data-test=ch-save]')
    await page.locator('[data-test=ac-err]', { hasText: 'slack needs url or url_env' }).waitFor()
    await shot('alertcfg-02-channel-error')
    const cfg = await api('GET', '/projects/edu/alerts/config')
    assert.deepEqual(cfg.config.channels.map((c) => c.name), ['ops-hook'], 'the bad channel was not saved')
  })

  await t.test('policies: add one routing core alerts to the webhook; bad quiet hours refused', async () => {
    await page.click('[data-test=al-tab-policies]')
    await page.click('[data-test=po-new]')
    await page.fill('[data-test=po-name]', 'core-to-ops')
    await page.check('[data-test=po-tier-core]')
    await page.check('[data-test=po-ch-ops-hook]')
    await page.fill('[data-test=po-people]', 'lead, ann')
    await page.click('[data-test=po-save]')
    await page.locator('[data-policy=core-to-ops]').waitFor()
    const cfg = await api('GET', '/projects/edu/alerts/config')
    assert.deepEqual(cfg.config.policies, [{ name: 'core-to-ops', tiers: ['core'], channels: ['ops-hook'], people: ['lead', 'ann'] }])

    await page.fill('[data-test=gen-quiet]', '22-08')
    await page.click('[data-test=gen-save]')
    await page.locator('[data-test=ac-err]', { hasText: 'quiet_hours' }).waitFor()
    await page.fill('[data-test=gen-quiet]', '22:00-08:00')
    await page.fill('[data-test=gen-timezone]', 'Asia/Shanghai')
    await page.click('[data-test=gen-save]')
    await page.locator('[data-test=ac-msg]').waitFor()
    const after = await api('GET', '/projects/edu/alerts/config')
    assert.equal(after.config.quiet_hours, '22:00-08:00')
    await shot('alertcfg-03-policies')
  })

  await t.test('rota: set it and see who is on call now and the next hand-overs', async () => {
    await page.click('[data-test=al-tab-rota]')
    await page.locator('[data-test=oncall-none]').waitFor()
    await page.fill('[data-test=ro-people]', 'ann, ben, cat')
    await page.fill('[data-test=ro-start]', '2024-03-01')
    await page.fill('[data-test=ro-handover]', '09:00')
    await page.click('[data-test=ro-save]')
    await page.locator('[data-test=oncall-now]').waitFor()
    const oc = await api('GET', '/projects/edu/alerts/oncall')
    assert.equal((await page.textContent('[data-test=oncall-now]')).trim(), oc.person)
    assert.ok(['ann', 'ben', 'cat'].includes(oc.person))
    assert.equal(await page.locator('[data-test=handovers] tbody tr').count(), 6)
    await shot('alertcfg-04-rota')
    await page.fill('[data-test=ro-start]', 'March')
    await page.click('[data-test=ro-save]')
    await page.locator('[data-test=ac-err]', { hasText: 'rota start' }).waitFor()
  })

  await t.test('console pools: add one, change its slots, see them through the API; 0 slots refused', async () => {
    await page.goto(base + '/console')
    await page.click('[data-test=tab-pools]')
    await page.locator('[data-pool=duckdb]').waitFor()
    await page.fill('[data-test=pl-new-name]', 'etl')
    await page.fill('[data-test=pl-new-slots]', '3')
    await page.click('[data-test=pl-add]')
    const row = page.locator('[data-pool=etl]')
    await row.waitFor()
    await row.locator('[data-test=pl-slots]').fill('5')
    await row.locator('[data-test=pl-save]').click()
    await page.locator('[data-test=pl-msg]').waitFor()
    const pools = await api('GET', '/projects/edu/pools')
    assert.equal(pools.find((p) => p.name === 'etl')?.slots, 5)
    await shot('alertcfg-05-pools')
    await row.locator('[data-test=pl-slots]').fill('0')
    await row.locator('[data-test=pl-save]').click()
    await page.locator('[data-test=pl-err]', { hasText: 'slots must be at least 1' }).waitFor()
    await shot('alertcfg-06-pool-error')
    assert.equal((await api('GET', '/projects/edu/pools')).find((p) => p.name === 'etl')?.slots, 5)
  })

  await t.test('a viewer sees the settings read-only', async () => {
    await api('POST', '/users', { name: 'vera', password: 'vera-Password-1' })
    await api('PUT', '/projects/edu/members/vera', { role: 'viewer' })
    const login = await fetch(base + '/api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'vera', password: 'vera-Password-1' }) })
    const { token } = await login.json()
    const viewer = await k.browser.newPage({ viewport: { width: 1366, height: 860 } })
    viewer.setDefaultTimeout(T)
    await viewer.goto(base + '/login')
    await viewer.evaluate((tok) => {
      localStorage.setItem('kiln.token', tok)
      localStorage.setItem('kiln.project', 'edu')
      localStorage.setItem('kiln.lang', 'en')
    }, token)
    await viewer.goto(base + '/alerts?tab=channels')
    const test = viewer.locator('[data-channel=ops-hook] [data-test=ch-test]')
    await test.waitFor()
    assert.ok(await test.isDisabled())
    assert.equal(await test.getAttribute('title'), 'Your role cannot do this')
    assert.ok(await viewer.locator('[data-test=ch-new]').isDisabled())
    await viewer.goto(base + '/alerts?tab=rota')
    await viewer.locator('[data-test=oncall-now]').waitFor()
    assert.ok(await viewer.locator('[data-test=ro-save]').isDisabled())
    await viewer.goto(base + '/console')
    await viewer.click('[data-test=tab-pools]')
    await viewer.locator('[data-pool=etl]').waitFor()
    assert.ok(await viewer.locator('[data-pool=etl] [data-test=pl-save]').isDisabled())
    await viewer.screenshot({ path: new URL('../../test-output/ui/alertcfg-07-viewer-pools.png', import.meta.url).pathname })
    await viewer.close()
  })

  await t.test('another owner saved since the page loaded: both changes are kept', async () => {
    await page.goto(base + '/alerts?tab=channels')
    await page.locator('[data-channel=ops-hook]').waitFor()
    const before = await api('GET', '/projects/edu/alerts/config')
    assert.match(before.version, /^[0-9a-f]{16}$/)
    // The other owner adds a channel through the API.
    const other = { ...before.config, channels: [...before.config.channels, { name: 'other-owner', kind: 'webhook', url: hookURL }] }
    await api('PUT', '/projects/edu/alerts/config', other)
    // This page still has the settings of before; its save is refused by
    // version and applied again to what is stored now.
    await page.click('[data-test=ch-new]')
    await page.fill('[data-test=ch-name]', 'mine')
    await page.selectOption('[data-test=ch-kind]', 'webhook')
    await page.fill('[data-test=ch-url]', hookURL)
    await page.click('[data-test=ch-save]')
    await page.locator('[data-channel=mine]').waitFor()
    await page.locator('[data-channel=other-owner]').waitFor()
    assert.equal(await page.locator('[data-test=ac-err]').count(), 0)
    const after = await api('GET', '/projects/edu/alerts/config')
    assert.deepEqual(after.config.channels.map((c) => c.name).sort(), ['mine', 'ops-hook', 'other-owner'])
    assert.ok(after.config.policies.some((p) => p.name === 'core-to-ops'), 'the policy saved earlier is kept')

    // A policy edited here after another owner put one before it: the
    // edit lands on the same policy, not on the one now at its old place.
    await page.goto(base + '/alerts?tab=policies')
    await page.locator('[data-policy=core-to-ops]').waitFor()
    const now = await api('GET', '/projects/edu/alerts/config')
    await api('PUT', '/projects/edu/alerts/config', { ...now.config, policies: [{ name: 'inserted', channels: ['ops-hook'] }, ...now.config.policies] })
    await page.click('[data-policy=core-to-ops] [data-test=po-edit]')
    await page.fill('[data-test=po-people]', 'lead, ann, bob')
    await page.click('[data-test=po-save]')
    await page.locator('[data-policy=inserted]').waitFor()
    const pol = (await api('GET', '/projects/edu/alerts/config')).config.policies
    assert.deepEqual(pol.map((p) => p.name), ['inserted', 'core-to-ops'])
    assert.deepEqual(pol[1].people, ['lead', 'ann', 'bob'])
    assert.equal(pol[0].people, undefined)
  })
})
