// Browser test of the development studio's editor and settings panel (see
// harness.mjs): SQL completion of catalog tables, their columns, a
// statement's CTEs and ${parameters}; formatting that keeps the /* kiln */ header and the
// parameters; the settings form (schedule with its next runs, lineage's
// upstream suggestion, retries) saving a new version; a bad cron; a
// viewer's disabled form; the cron described in Chinese.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startKiln, runTask, T } from './harness.mjs'

let k, page, base, api, shot

before(async () => {
  k = await startKiln()
  ;({ page, base, api, shot } = k)
  // The catalog knows a table once it exists: make ods.ods_courses, crawl.
  for (const task of ['gen_source', 'ods_courses']) {
    const i = await runTask(api, task)
    assert.equal(i.state, 'success', `${task}: ${i.state} ${i.error ?? ''}`)
  }
  await api('POST', '/projects/edu/datamap/crawl')
})

after(async () => {
  await k?.stop()
})

// The editor's text as shown (Monaco renders spaces as no-break spaces).
const editorText = () => page.evaluate(() => [...document.querySelectorAll('[data-test=editor] .view-line')]
  .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
  .map((l) => l.textContent.replace(/\u00a0/g, ' ')).join('\n'))

// write replaces the editor's text in one edit (no auto-closing).
async function write(text) {
  await page.keyboard.press('Escape')
  await page.click('[data-test=editor] .view-lines', { force: true })
  await page.keyboard.press('ControlOrMeta+A')
  await page.keyboard.press('Delete')
  await page.keyboard.insertText(text)
}

// suggestions waits for the suggest widget to list a row matching re and
// returns the rows' labels.
async function suggestions(re) {
  const rows = page.locator('.suggest-widget .monaco-list-row')
  await rows.filter({ hasText: re }).first().waitFor()
  return rows.allTextContents()
}

const header = '/* kiln\ntarget: dws.dws_studio_e2e\n# a comment in the header\n*/\n'

test('the development studio', { timeout: 10 * T }, async (t) => {
  await t.test('completion: tables of a schema, columns after an alias, parameters', async () => {
    await page.goto(`${base}/studio`)
    await page.click('[data-test=new-task]')
    await page.fill('[data-test=new-name]', 'dws_studio_e2e')
    await page.fill('[data-test=new-folder]', 'tasks/dws')
    await page.click('[data-test=new-create]')
    await page.locator('[data-test=editor] .monaco-editor').waitFor()
    await write(header + 'SELECT \nFROM ods.ods_courses AS c\n')
    // The cursor to the end of "SELECT " (line 5).
    await page.keyboard.press('ControlOrMeta+Home')
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown')
    await page.keyboard.press('End')
    await page.keyboard.type('c.')
    const cols = await suggestions(/course_name/)
    assert.ok(cols.some((r) => r.includes('course_id')), 'columns of ods.ods_courses: ' + cols.join(' | '))
    await shot('studio-01-complete-columns')
    await page.keyboard.type('course_na')
    await page.keyboard.press('Enter')
    await page.keyboard.type(', ')
    // Parameters after ${: built-ins, their arithmetic and the project's;
    // the closing brace is not doubled.
    await page.keyboard.type('${')
    let ps = await suggestions(/\$\{bizdate\}/)
    assert.ok(ps.some((r) => /\$\{bizdate\}= \d{4}-\d\d-\d\d/.test(r)), 'parameters: ' + ps.join(' | '))
    await shot('studio-02-complete-params')
    await page.keyboard.press('Enter')
    await page.keyboard.press('End')
    await page.keyboard.type(' AS d, ${bizdate-')
    ps = await suggestions(/\$\{bizdate-1d\}/)
    await page.keyboard.press('Enter')
    await page.keyboard.press('End')
    await page.keyboard.type(' AS prev, ${source')
    ps = await suggestions(/\$\{source_dir\}/)
    await page.keyboard.press('Enter')
    await page.keyboard.press('End')
    // Plain text goes in as one edit: typed letters could open the suggest
    // widget and race with the last keystrokes.
    await page.keyboard.press('Escape')
    await page.keyboard.insertText(' AS src')
    await page.keyboard.press('Escape')
    await page.waitForFunction(() => document.querySelector('[data-test=editor] .view-lines')?.textContent?.replace(/\u00a0/g, ' ').includes('AS src'))
    const text = await editorText()
    assert.match(text, /SELECT c\.course_name, \$\{bizdate\} AS d, \$\{bizdate-1d\} AS prev, \$\{source_dir\} AS src\nFROM ods\.ods_courses AS c/, text)
    // Tables of a schema after "schema.".
    await page.keyboard.press('ControlOrMeta+End')
    await page.keyboard.type('-- see ods.')
    const tables = await suggestions(/ods_courses/)
    assert.ok(tables.length >= 1, 'tables: ' + tables.join(' | '))
    await page.keyboard.press('Escape')
    await shot('studio-03-complete-tables')
    // A CTE is a table of its statement: its name completes, and after its
    // alias, the names its SELECT list gives.
    await write(header + 'WITH recent AS (SELECT c.course_id, c.course_name AS title FROM ods.ods_courses c)\nSELECT \nFROM recent AS r\n')
    await page.keyboard.press('ControlOrMeta+Home')
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowDown')
    await page.keyboard.press('End')
    await page.keyboard.type('r.')
    const cteCols = await suggestions(/title/)
    assert.ok(cteCols.some((r) => r.includes('course_id')), 'columns of the CTE: ' + cteCols.join(' | '))
    await page.keyboard.press('Escape')
    await page.keyboard.press('ControlOrMeta+End')
    await page.keyboard.type('-- rece')
    await page.keyboard.press('ControlOrMeta+Space')
    const cteNames = await suggestions(/^recent/)
    assert.ok(cteNames.length >= 1, 'CTE names: ' + cteNames.join(' | '))
    await page.keyboard.press('Escape')
  })

  await t.test('format keeps the header and the parameters', async () => {
    const body = "select c.course_id,c.course_name,'${bizdate}' as dt,'${bizdate-1d}' as prev from ods.ods_courses as c where c.dt='${bizdate}' and c.list_price>0\n"
    await write(header + body)
    await page.click('[data-test=format]')
    await page.waitForFunction(() => document.querySelector('[data-test=editor] .view-lines')?.textContent.includes('WHERE'))
    let text = await editorText()
    assert.ok(text.startsWith(header.trimEnd()), 'header changed:\n' + text)
    for (const want of ["'${bizdate}' AS dt", "'${bizdate-1d}' AS prev", "c.dt = '${bizdate}'", 'FROM\n  ods.ods_courses AS c']) {
      assert.ok(text.includes(want), `formatted text lacks ${want}:\n${text}`)
    }
    await shot('studio-04-formatted')
    // The keyboard shortcuts format too.
    for (const keys of ['Shift+Alt+F', 'ControlOrMeta+Shift+F']) {
      await write(header + body)
      await page.keyboard.press(keys)
      await page.waitForFunction(() => document.querySelector('[data-test=editor] .view-lines')?.textContent.includes('WHERE'))
      text = await editorText()
      assert.ok(text.startsWith(header.trimEnd()) && text.includes("'${bizdate-1d}' AS prev"), keys + ':\n' + text)
    }
    // SQL the formatter cannot read is left alone with a message.
    await write(header + "select 'unclosed\n")
    await page.click('[data-test=format]')
    await page.locator('[data-test=studio-error]', { hasText: /format/i }).waitFor()
    // The formatted file saves: the server reads it back.
    await write(header + body)
    await page.click('[data-test=format]')
    await page.waitForFunction(() => document.querySelector('[data-test=editor] .view-lines')?.textContent.includes('WHERE'))
    await page.click('[data-test=save]')
    await page.waitForURL(/\/studio\/dws_studio_e2e$/)
    await page.locator('[data-test=task-name]', { hasText: 'dws_studio_e2e' }).waitFor()
    const f = await api('GET', '/projects/edu/tasks/dws_studio_e2e/file')
    assert.match(f.content, /'\$\{bizdate-1d\}' AS prev/)
  })

  await t.test('settings: lineage suggestion, retries and schedule with next runs, a new version', async () => {
    await page.locator('[data-test=settings]').waitFor()
    // The task reads ods.ods_courses without declaring ods_courses.
    await page.locator('[data-test=suggested] [data-suggest=ods_courses]').click()
    await page.locator('[data-test=set-upstreams] [data-upstream=ods_courses]').waitFor()
    await page.fill('[data-test=set-retries]', '3')
    await page.fill('[data-test=set-cron]', '0 25 * * *')
    await page.locator('[data-test=cron-error]', { hasText: /bad cron/ }).waitFor()
    assert.equal(await page.isDisabled('[data-test=save-settings]'), true, 'a bad cron can be saved')
    await shot('studio-05-bad-cron')
    await page.fill('[data-test=set-cron]', '30 5 * * *')
    await page.fill('[data-test=set-timezone]', 'UTC')
    await page.locator('[data-test=cron-description]', { hasText: '05:30' }).waitFor()
    await page.waitForFunction(() => document.querySelectorAll('[data-test=next-runs] li').length === 5)
    const runs = await page.locator('[data-test=next-runs] li').allTextContents()
    assert.ok(runs.every((r) => / 05:30 → business date \d{4}-\d\d-\d\d/.test(r)), runs.join(' | '))
    await page.fill('[data-test=settings-message]', 'settings from the panel')
    await shot('studio-06-settings')
    await page.click('[data-test=save-settings]')
    await page.locator('[data-test=save-notice]', { hasText: 'version 2' }).waitFor()
    const d = await api('GET', '/projects/edu/tasks/dws_studio_e2e')
    const spec = d.current.spec
    assert.equal(spec.retries, 3)
    assert.deepEqual(spec.schedule, { cron: '30 5 * * *', timezone: 'UTC' })
    assert.deepEqual(spec.upstreams, ['ods_courses'])
    await page.waitForFunction(() => /retries:\s3/.test(document.querySelector('[data-test=editor] .view-lines')?.textContent ?? ''))
    assert.match(await editorText(), /FROM\n  ods\.ods_courses AS c/)
    await page.click('[data-test=tab-history]')
    await page.locator('[data-test=history] tbody tr', { hasText: 'settings from the panel' }).waitFor()
    assert.equal(await page.locator('[data-test=history] tbody tr').count(), 2)
    await shot('studio-07-versions')
  })

  await t.test('the cron is described in Chinese', async () => {
    await page.evaluate(() => localStorage.setItem('kiln.lang', 'zh'))
    await page.goto(`${base}/studio/dws_studio_e2e`)
    await page.locator('[data-test=cron-description]').waitFor()
    await page.waitForFunction(() => /05:30/.test(document.querySelector('[data-test=cron-description]')?.textContent ?? '') &&
      /[\u4e00-\u9fff]/.test(document.querySelector('[data-test=cron-description]')?.textContent ?? ''))
    assert.match(await page.textContent('[data-test=next-runs]'), /业务日期/)
    await shot('studio-08-zh')
    await page.evaluate(() => localStorage.setItem('kiln.lang', 'en'))
  })

  await t.test('a viewer sees the settings disabled', async () => {
    await api('POST', '/users', { name: 'vic', password: 'viewer-Pass-1' })
    await api('PUT', '/projects/edu/members/vic', { role: 'viewer' })
    const r = await fetch(base + '/api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'vic', password: 'viewer-Pass-1' }) })
    const viewer = (await r.json()).token
    await page.evaluate((tok) => localStorage.setItem('kiln.token', tok), viewer)
    await page.goto(`${base}/studio/dws_studio_e2e`)
    await page.locator('[data-test=settings]').waitFor()
    assert.equal(await page.isDisabled('[data-test=set-retries]'), true)
    assert.equal(await page.isDisabled('[data-test=set-cron]'), true)
    assert.equal(await page.locator('[data-test=save-settings]').count(), 0)
    await page.locator('[data-test=cron-preview]').waitFor()
    await shot('studio-09-viewer')
    const res = await fetch(base + '/api/v1/projects/edu/tasks/dws_studio_e2e/settings', {
      method: 'PATCH', headers: { Authorization: 'Bearer ' + viewer, 'Content-Type': 'application/json' }, body: JSON.stringify({ retries: 1 }),
    })
    assert.equal(res.status, 403)
    await page.evaluate((tok) => localStorage.setItem('kiln.token', tok), k.token())
  })
})
