// Loads Monaco on first use (it is a large chunk) with only the editor
// worker, the SQL, Python and shell grammars Kiln's tasks need, and the
// suggest widget (editor.api alone has no completion UI).
import type * as Monaco from 'monaco-editor/esm/vs/editor/editor.api'

let loading: Promise<typeof Monaco> | null = null

export function loadMonaco(): Promise<typeof Monaco> {
  loading ??= (async () => {
    const [monaco, worker] = await Promise.all([
      import('monaco-editor/esm/vs/editor/editor.api'),
      import('monaco-editor/esm/vs/editor/editor.worker?worker'),
      import('monaco-editor/esm/vs/basic-languages/sql/sql.contribution'),
      import('monaco-editor/esm/vs/basic-languages/python/python.contribution'),
      import('monaco-editor/esm/vs/basic-languages/shell/shell.contribution'),
      import('monaco-editor/esm/vs/editor/contrib/suggest/browser/suggestController.js'),
    ])
    ;(self as unknown as { MonacoEnvironment: unknown }).MonacoEnvironment = { getWorker: () => new worker.default() }
    return monaco
  })()
  return loading
}
