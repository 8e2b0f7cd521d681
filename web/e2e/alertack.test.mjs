// A real failure raises an alert that is acknowledged in the browser: a
// webhook channel (a local receiver) is set through the API, a task whose
// SQL reads a missing table fails, its alert reaches the receiver and the
// alerts page, and *Acknowledge* marks it acknowledged by the user.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { startKiln, runTask, T } from './harness.mjs'

let k, hook
const received = []

before(async () => {
  hook = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      received.push(body)
      res.end('{}')
    })
  })
  await new Promise((ok) => hook.listen(0, '127.0.0.1', ok))
  k = await startKiln()
})

after(async () => {
  await k?.stop()
  hook?.close()
})

test('a failed task raises an alert that is acknowledged on the alerts page', { timeout: 5 * T }, async () => {
  const { page, base, api, shot } = k
  await api('PUT', '/projects/edu/alerts/config', {
    channels: [{ name: 'ops-hook', kind: 'webhook', url: `http://127.0.0.1:${hook.address().port}/hook` }],
    group_window: '1s',
  })
  await api('PUT', '/projects/edu/tasks/dws_broken/file', {
    path: 'tasks/dws/dws_broken.sql',
    content: '/* kiln\ntarget: dws.dws_broken\nretries: 0\n*/\nSELECT * FROM ods.no_such_table\n',
  })
  const inst = await runTask(api, 'dws_broken')
  assert.equal(inst.state, 'failed')
  let alerts = []
  const end = Date.now() + 2 * T
  while (!alerts.some((a) => a.task === 'dws_broken')) {
    assert.ok(Date.now() < end, 'no alert for the failed task')
    await new Promise((r) => setTimeout(r, 300))
    alerts = await api('GET', '/projects/edu/alerts')
  }
  await page.goto(base + '/alerts')
  const row = page.locator('table[data-test=alerts] tbody tr', { hasText: 'dws_broken' })
  await row.waitFor()
  await shot('13-alert-open')
  await row.locator('[data-test=al-ack]').click()
  await page.selectOption('[data-test=al-state]', 'acked')
  await page.locator('table[data-test=alerts] tbody tr', { hasText: 'dws_broken' }).waitFor()
  assert.match(await page.textContent('table[data-test=alerts]'), /admin/)
  const acked = (await api('GET', '/projects/edu/alerts?state=acked')).find((a) => a.task === 'dws_broken')
  assert.ok(acked, 'the alert is acknowledged in the store')
  const waitHook = Date.now() + T
  while (!received.some((b) => b.includes('dws_broken'))) {
    assert.ok(Date.now() < waitHook, 'the webhook got no message about dws_broken')
    await new Promise((r) => setTimeout(r, 200))
  }
  await shot('13b-alert-acked')
})
