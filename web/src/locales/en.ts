// English texts. Every user-facing string of the UI lives here and in zh.ts
// (the two must have the same keys; e2e checks that switching changes them).
export default {
  app: { name: 'Kiln', menu: 'Menu', signOut: 'Sign out', project: 'Project', language: 'Language', role: 'Role: {role}', noProject: 'You are not a member of any project yet.' },
  nav: { ops: 'Ops center', studio: 'Development studio', datamap: 'Data map', query: 'Query', dashboard: 'Dashboard', day: 'Day view', quality: 'Quality', alerts: 'Alerts', console: 'Console' },
  roles: { owner: 'owner', developer: 'developer', operator: 'operator', viewer: 'viewer' },
  login: { title: 'Sign in to Kiln', user: 'User', password: 'Password', submit: 'Sign in', failed: 'Sign-in failed: {msg}', busy: 'Signing in…' },
  common: {
    loading: 'Loading…', empty: 'Nothing here.', error: 'Error: {msg}', refresh: 'Refresh', close: 'Close', cancel: 'Cancel',
    prev: 'Previous', next: 'Next', page: 'Page {n}', all: 'All', apply: 'Apply', date: 'Date', from: 'From', to: 'To',
    task: 'Task', state: 'State', id: 'ID', bizdate: 'Business date', duration: 'Duration', started: 'Started', ended: 'Ended',
    owner: 'Owner', yes: 'yes', no: 'no', search: 'Search', noRight: 'Your role cannot do this', done: 'Done: {n} instance(s)', rows: '{n} row(s)',
  },
  states: {
    waiting: 'waiting', ready: 'ready', queued: 'queued', running: 'running', success: 'success', failed: 'failed',
    killed: 'killed', skipped: 'skipped', upstream_failed: 'upstream failed',
  },
  triggers: { schedule: 'schedule', manual: 'manual', backfill: 'backfill', rerun: 'rerun' },
  ops: {
    title: 'Instances', filterState: 'State', filterTask: 'Task name', selected: '{n} selected', rerun: 'Rerun',
    rerunDown: 'Rerun with downstream', kill: 'Kill', setSuccess: 'Set success', backfill: 'Backfill…', attempt: 'Attempt',
    trigger: 'Trigger', confirm: 'Apply "{action}" to {n} instance(s)?', actionFailed: '{id}: {msg}', timeAxis: 'Time', noRuns: 'No instance of this day has started yet.',
  },
  backfill: {
    title: 'Backfill', tasks: 'Tasks (comma separated)', downstream: 'Include downstream tasks', parallel: 'Parallel dates',
    order: 'Order', asc: 'oldest first', desc: 'newest first', preview: 'Preview (dry run)', start: 'Start backfill',
    summary: '{count} instance(s) over {periods} date(s), estimated {est}', unknown: '{n} task(s) never succeeded (not estimated)',
    started: 'Backfill #{id} started with {count} instance(s)',
  },
  instance: {
    title: 'Instance #{id}', log: 'Log', live: 'live', sql: 'Rendered SQL', attempts: 'Attempts', upstream: 'Upstream',
    downstream: 'Downstream', why: 'Why not running', noReasons: 'Nothing holds it back.', worker: 'Worker', error: 'Error',
    noSql: 'No rendered SQL.', chain: 'Unmet upstream chain', back: 'Back to instances',
  },
  day: {
    title: 'Instances of a day', dag: 'Dependency graph', gantt: 'Gantt chart', summary: '{n} instance(s), {e} dependency edge(s), {x} from other days or projects',
    truncated: '(only the first instances are shown)', empty: 'No instances on this date.', rendered: '{n} node(s) laid out and drawn in {ms} ms',
  },
  quality: {
    title: 'Data quality', table: 'Table', rules: 'Rules', rule: 'Rule', check: 'Check', severity: 'Severity', source: 'Defined in',
    metric: 'Metric', noRules: 'No quality rules in this project.', noResults: 'No results for this table yet.',
    latest: 'Latest: {date}, metric {metric}, threshold {threshold}',
    verdicts: { pass: 'pass', breach: 'breach', error: 'error', no_history: 'no history' },
  },
  alerts: {
    title: 'Alerts', open: 'open', acked: 'acknowledged', ackedBy: 'acknowledged by {user}', ack: 'Acknowledge', kind: 'Kind', what: 'What',
    count: 'Count', last: 'Last', none: 'No alerts.', silences: 'Silences in force', silence: 'Silence…', unsilence: 'End silence',
    until: 'Until', reason: 'Reason', for: 'For (e.g. 2h)', anyTask: 'every task', anyKind: 'every kind', noSilences: 'No silences in force.',
  },
  console: {
    title: 'Console', members: 'Members and roles', sources: 'Data sources', tokens: 'API tokens', user: 'User', role: 'Role',
    addMember: 'Add or change', remove: 'Remove', confirmRemove: 'Remove {user} from the project?', ownersOnly: 'Only owners change members.',
    name: 'Name', kind: 'Kind', dsn: 'Connection', secret: 'Secret', options: 'Options', secretSet: 'set (hidden)', secretNone: 'none',
    secretsNote: 'Secrets are write-only: a password comes from the engine’s password_env when the project is applied and is never shown again.',
    tokenName: 'Token name', expiresIn: 'Expires in (e.g. 720h, optional)', createToken: 'Create token', revoke: 'Revoke',
    confirmRevoke: 'Revoke the token "{name}"? Programs using it stop working.', shownOnce: 'Copy this token now: it is shown only once.',
    created: 'Created', lastUsed: 'Last used', expires: 'Expires',
  },
  dashboard: {
    title: 'Dashboard', successRate: 'Success rate', onTimeRate: 'On-time rate', duration: 'Total duration (min)',
    p95: 'p95 duration (s)', range: 'Last {n} days', total: 'Instances', noData: 'No finished instances in this range.',
  },
  studio: {
    tasks: 'Tasks', filter: 'Filter tasks', settings: 'Settings', schedule: 'Schedule', upstreams: 'Upstreams',
    retries: 'Retries', retryDelay: 'Retry delay', timeout: 'Timeout', pool: 'Pool', tier: 'Tier', owner: 'Owner', engine: 'Engine',
    type: 'Type', target: 'Target table', runFor: 'Run for date', run: 'Run', running: 'Running…', runHint: 'Ctrl+Enter runs',
    log: 'Log', result: 'Result of {table}', history: 'Versions', diff: 'Compare with current', version: 'Version {n}',
    author: 'Author', message: 'Message', noTask: 'Pick a task on the left.', readOnly: 'Your role cannot change tasks; the editor is read-only.',
    newTask: 'New task', name: 'Name', folder: 'Folder', create: 'Create', save: 'Save', saveHint: 'Ctrl+S saves', saved: 'Saved as version {n}', unchanged: 'Nothing changed: the file says what version {n} says', problemAt: '{file}:{line}: {msg}', draft: 'New task in {path}, not saved yet: Ctrl+S saves it', changeMessage: 'What changed (optional)', badName: 'A task name is lower-case letters, digits and _, starting with a letter', fileHint: '{path}: the settings header and the body; Ctrl+S saves a new version',
    instanceLink: 'Instance #{id}: {state}', timezone: 'Time zone', none: 'none', diffTitle: 'Version {from} ↔ version {to}',
  },
  datamap: {
    title: 'Data map', searchHint: 'Search tables and columns', tables: 'Tables', layer: 'Layer', engine: 'Engine',
    columns: 'Columns', producer: 'Produced by', updates: 'Update records', lineage: 'Lineage', expand: 'Click a table to expand its lineage',
    column: 'Column', type: 'Type', comment: 'Comment', rowsWritten: 'Rows', at: 'At', noLineage: 'No lineage recorded yet: run the producing task first.',
    readers: 'Read by', match: 'Match', rows: 'Rows', size: 'Size',
  },
  query: {
    title: 'Query', engine: 'Engine', run: 'Run', cancel: 'Cancel', save: 'Save', saved: 'Saved as "{name}"', savedList: 'Saved queries', history: 'History',
    csv: 'Download CSV', xlsx: 'Download Excel', parquet: 'Download Parquet', hint: 'Ctrl+Enter runs, Ctrl+S saves', elapsed: '{n} row(s) in {ms} ms', namePrompt: 'Name of the saved query',
  },
}
