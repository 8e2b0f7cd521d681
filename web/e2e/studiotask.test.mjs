// Browser test of the studio's Move and Delete (see harness.mjs): a new
// task's file moved to another folder (a bad folder refused in the form,
// one outside task_dirs refused by the server), then deleted (gone from the
// tree, the API and the project folder); ods_courses, which other tasks
// depend on, refused with its dependants listed and not forced; a viewer
// sees both buttons disabled and the server refuses their DELETE.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startKiln, T } from './harness.mjs'

let k, page, base, api, shot

before(async () => {
  k = await startKiln()
  ;({ page, base, api, shot } = k)
})

after(async () => {
  await k?.stop()
})

const inFolder = (p) => existsSync(join(k.projectDir, p))

test('studio: move and delete a task', { timeout: 10 * T }, async (t) => {
  await t.test('a new task is moved to another folder', async () => {
    await page.goto(`${base}/studio`)
    await page.click('[data-test=new-task]')
    await page.fill('[data-test=new-name]', 'dws_move_e2e')
    await page.fill('[data-test=new-folder]', 'tasks/dws')
    await page.click('[data-test=new-create]')
    await page.locator('[data-test=editor] .monaco-editor').waitFor()
    await page.click('[data-test=save]')
    await page.waitForURL(/\/studio\/dws_move_e2e$/)
    await page.locator('[data-test=task-name]', { hasText: 'dws_move_e2e' }).waitFor()
    assert.ok(inFolder('tasks/dws/dws_move_e2e.sql'), 'the new task is written into the folder')

    await page.click('[data-test=move-task]')
    assert.equal(await page.inputValue('[data-test=move-folder]'), 'tasks/dws')
    // Checked in the form: no .., not the same folder.
    await page.fill('[data-test=move-folder]', 'tasks/../x')
    await page.locator('[data-test=move-invalid]').waitFor()
    assert.equal(await page.isDisabled('[data-test=move-save]'), true)
    await page.fill('[data-test=move-folder]', 'tasks/dws')
    await page.locator('[data-test=move-invalid]', { hasText: /already/ }).waitFor()
    // Checked by the server: outside kiln.yaml's task_dirs.
    await page.fill('[data-test=move-folder]', 'elsewhere')
    await page.click('[data-test=move-save]')
    await page.locator('[data-test=move-error]').waitFor()
    assert.match(await page.textContent('[data-test=move-form]'), /task_dirs/)
    assert.ok(!inFolder('elsewhere'), 'a refused move wrote a file')
    await page.fill('[data-test=move-folder]', 'tasks/ads/')
    assert.equal(await page.textContent('[data-test=move-path]'), 'tasks/ads/dws_move_e2e.sql')
    await shot('studiotask-01-move')
    await page.click('[data-test=move-save]')
    await page.locator('[data-test=save-notice]', { hasText: 'Moved to tasks/ads/dws_move_e2e.sql (version 2)' }).waitFor()
    assert.ok(inFolder('tasks/ads/dws_move_e2e.sql') && !inFolder('tasks/dws/dws_move_e2e.sql'), 'the file moved')
    const versions = await api('GET', '/projects/edu/tasks/dws_move_e2e/versions')
    assert.equal(versions.length, 2)
    assert.match(versions.map((v) => v.message).join(' '), /moved from tasks\/dws\/dws_move_e2e\.sql to tasks\/ads\/dws_move_e2e\.sql/)
    const f = await api('GET', '/projects/edu/tasks/dws_move_e2e/file')
    assert.equal(f.path, 'tasks/ads/dws_move_e2e.sql')
  })

  await t.test('the task is deleted: gone from the tree and the folder', async () => {
    await page.click('[data-test=delete-task]')
    await page.locator('[data-test=delete-confirm]', { hasText: 'tasks/ads/dws_move_e2e.sql' }).waitFor()
    await shot('studiotask-02-confirm')
    await page.click('[data-test=delete-yes]')
    await page.waitForURL(/\/studio$/)
    await page.locator('[data-test=save-notice]', { hasText: 'Task dws_move_e2e deleted' }).waitFor()
    assert.equal(await page.locator('[data-test=task-tree] [data-task=dws_move_e2e]').count(), 0)
    assert.ok(await page.locator('[data-test=task-tree] [data-task=ods_courses]').count() === 1)
    assert.ok(!inFolder('tasks/ads/dws_move_e2e.sql'), 'the file is still in the folder')
    const list = await api('GET', '/projects/edu/tasks')
    assert.ok(!list.some((x) => x.name === 'dws_move_e2e'))
    // Its history is kept.
    assert.equal((await api('GET', '/projects/edu/tasks/dws_move_e2e/versions')).length, 2)
    await shot('studiotask-03-deleted')
  })

  await t.test('a task with dependants is refused, listing them; not forced', async () => {
    await page.goto(`${base}/studio/ods_courses`)
    await page.locator('[data-test=task-name]', { hasText: 'ods_courses' }).waitFor()
    await page.click('[data-test=delete-task]')
    await page.click('[data-test=delete-yes]')
    await page.locator('[data-test=delete-refused]').waitFor()
    const shown = (await page.locator('[data-test=dependants] li').allTextContents()).sort()
    const deps = (await api('GET', '/projects/edu/tasks/ods_courses/downstream')).tasks.map((d) => d.task).sort()
    assert.ok(deps.length > 0)
    assert.deepEqual(shown, deps)
    assert.match(await page.textContent('[data-test=delete-force]'), new RegExp(`\\(${deps.length} dependant`))
    await shot('studiotask-04-refused')
    await page.click('[data-test=delete-cancel]')
    await page.locator('[data-test=delete-confirm]').waitFor({ state: 'detached' })
    assert.ok(inFolder('tasks/ods/ods_courses.sql'))
    assert.equal((await api('GET', '/projects/edu/tasks/ods_courses')).task.removed, undefined)
  })

  await t.test('a viewer sees Move and Delete disabled', async () => {
    await api('POST', '/users', { name: 'vik', password: 'viewer-Pass-1' })
    await api('PUT', '/projects/edu/members/vik', { role: 'viewer' })
    const r = await fetch(base + '/api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'vik', password: 'viewer-Pass-1' }) })
    const viewer = (await r.json()).token
    await page.evaluate((tok) => localStorage.setItem('kiln.token', tok), viewer)
    await page.goto(`${base}/studio/ods_courses`)
    await page.locator('[data-test=task-name]', { hasText: 'ods_courses' }).waitFor()
    for (const b of ['move-task', 'delete-task']) {
      assert.equal(await page.isDisabled(`[data-test=${b}]`), true, b)
      assert.equal(await page.getAttribute(`[data-test=${b}]`, 'title'), 'Your role cannot do this')
    }
    await shot('studiotask-05-viewer')
    const res = await fetch(base + '/api/v1/projects/edu/tasks/ods_courses', { method: 'DELETE', headers: { Authorization: 'Bearer ' + viewer } })
    assert.equal(res.status, 403)
    await page.evaluate((tok) => localStorage.setItem('kiln.token', tok), k.token())
  })
})
