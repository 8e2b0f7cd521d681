// 中文文本。与 en.ts 的键一一对应。
export default {
  app: { name: 'Kiln', menu: '菜单', signOut: '退出登录', project: '项目', language: '语言', role: '角色：{role}', noProject: '你还不是任何项目的成员。' },
  nav: { ops: '运维中心', studio: '开发工作台', datamap: '数据地图', query: '自助查询', dashboard: '运维大盘', day: '日视图', quality: '数据质量', alerts: '告警', console: '控制台' },
  roles: { owner: '所有者', developer: '开发者', operator: '运维', viewer: '访客' },
  login: { title: '登录 Kiln', user: '用户名', password: '密码', submit: '登录', failed: '登录失败：{msg}', busy: '正在登录…' },
  common: {
    loading: '加载中…', empty: '暂无数据。', error: '出错：{msg}', refresh: '刷新', close: '关闭', cancel: '取消',
    prev: '上一页', next: '下一页', page: '第 {n} 页', all: '全部', apply: '应用', date: '日期', from: '开始', to: '结束',
    task: '任务', state: '状态', id: '编号', bizdate: '业务日期', duration: '耗时', started: '开始时间', ended: '结束时间',
    owner: '负责人', yes: '是', no: '否', search: '搜索', noRight: '你的角色无权执行此操作', done: '完成：{n} 个实例', rows: '{n} 行',
  },
  states: {
    waiting: '等待中', ready: '就绪', queued: '排队中', running: '运行中', success: '成功', failed: '失败',
    killed: '已终止', skipped: '已跳过', upstream_failed: '上游失败',
  },
  triggers: { schedule: '调度', manual: '手动', backfill: '补数据', rerun: '重跑' },
  ops: {
    title: '实例列表', filterState: '状态', filterTask: '任务名', selected: '已选 {n} 个', rerun: '重跑',
    rerunDown: '重跑及下游', kill: '终止', setSuccess: '置为成功', backfill: '补数据…', attempt: '尝试次数',
    trigger: '触发方式', confirm: '对 {n} 个实例执行“{action}”？', actionFailed: '{id}：{msg}', timeAxis: '时间', noRuns: '这一天还没有实例开始运行。',
  },
  backfill: {
    title: '补数据', tasks: '任务（逗号分隔）', downstream: '包含下游任务', parallel: '并行日期数',
    order: '顺序', asc: '从旧到新', desc: '从新到旧', preview: '预览（试运行）', start: '开始补数据',
    summary: '{periods} 个日期共 {count} 个实例，预计耗时 {est}', unknown: '{n} 个任务从未成功（无法估算）',
    started: '补数据 #{id} 已开始，共 {count} 个实例',
  },
  instance: {
    title: '实例 #{id}', log: '日志', live: '实时', sql: '渲染后的 SQL', attempts: '执行记录', upstream: '上游',
    downstream: '下游', why: '为什么没有运行', noReasons: '没有阻塞它的原因。', worker: '执行节点', error: '错误',
    noSql: '没有渲染后的 SQL。', chain: '未满足的上游链路', back: '返回实例列表',
  },
  day: {
    title: '某日的实例', dag: '依赖图', gantt: '甘特图', summary: '{n} 个实例，{e} 条依赖边，{x} 条来自其他日期或项目',
    truncated: '（只显示了前面的实例）', empty: '这一天没有实例。', rendered: '{n} 个节点布局并绘制用时 {ms} 毫秒',
  },
  quality: {
    title: '数据质量', table: '表', rules: '规则', rule: '规则', check: '检查', severity: '级别', source: '定义于',
    metric: '指标值', noRules: '这个项目还没有质量规则。', noResults: '这张表还没有检查结果。',
    latest: '最近：{date}，指标值 {metric}，阈值 {threshold}',
    verdicts: { pass: '通过', breach: '不达标', error: '出错', no_history: '历史不足' },
  },
  alerts: {
    title: '告警', open: '未处理', acked: '已认领', ackedBy: '{user} 已认领', ack: '认领', kind: '类型', what: '内容',
    count: '次数', last: '最近一次', none: '没有告警。', silences: '生效中的静默', silence: '静默…', unsilence: '结束静默',
    until: '截止', reason: '原因', for: '时长（如 2h）', anyTask: '所有任务', anyKind: '所有类型', noSilences: '没有生效中的静默。',
  },
  console: {
    title: '控制台', members: '成员与角色', sources: '数据源', tokens: 'API 令牌', user: '用户', role: '角色',
    addMember: '添加或修改', remove: '移除', confirmRemove: '把 {user} 移出项目？', ownersOnly: '只有所有者可以修改成员。',
    name: '名称', kind: '类型', dsn: '连接', secret: '密钥', options: '选项', secretSet: '已设置（不显示）', secretNone: '无',
    secretsNote: '密钥只写不读：密码在应用项目时从引擎的 password_env 读取，之后不再显示。',
    tokenName: '令牌名称', expiresIn: '有效期（如 720h，可不填）', createToken: '创建令牌', revoke: '吊销',
    confirmRevoke: '吊销令牌“{name}”？使用它的程序将无法再访问。', shownOnce: '现在就复制这个令牌：它只显示这一次。',
    created: '创建时间', lastUsed: '最近使用', expires: '过期时间',
  },
  dashboard: {
    title: '运维大盘', successRate: '成功率', onTimeRate: '准时率', duration: '总耗时（分钟）',
    p95: 'p95 耗时（秒）', range: '最近 {n} 天', total: '实例数', noData: '该时间范围内没有已结束的实例。',
  },
  studio: {
    tasks: '任务', filter: '筛选任务', settings: '调度配置', schedule: '调度周期', upstreams: '上游依赖',
    retries: '重试次数', retryDelay: '重试间隔', timeout: '超时', pool: '资源池', tier: '等级', owner: '负责人', engine: '引擎',
    type: '类型', target: '目标表', runFor: '运行日期', run: '运行', running: '运行中…', runHint: 'Ctrl+Enter 运行',
    log: '日志', result: '{table} 的结果', history: '版本', diff: '与当前版本对比', version: '版本 {n}',
    author: '作者', message: '说明', noTask: '请在左侧选择一个任务。', readOnly: '你的角色不能修改任务；编辑器为只读。',
    newTask: '新建任务', name: '名称', folder: '目录', create: '创建', save: '保存', saveHint: 'Ctrl+S 保存', saved: '已保存为版本 {n}', unchanged: '没有变化：文件内容与版本 {n} 相同', problemAt: '{file}:{line}: {msg}', draft: '{path} 中的新任务，尚未保存：按 Ctrl+S 保存', changeMessage: '变更说明（可选）', badName: '任务名由小写字母、数字和 _ 组成，以字母开头', fileHint: '{path}：设置头和正文；Ctrl+S 保存为新版本',
    instanceLink: '实例 #{id}：{state}', timezone: '时区', none: '无', diffTitle: '版本 {from} ↔ 版本 {to}',
  },
  datamap: {
    title: '数据地图', searchHint: '搜索表和字段', tables: '表', layer: '分层', engine: '引擎',
    columns: '字段', producer: '产出任务', updates: '更新记录', lineage: '血缘', expand: '点击表节点展开其血缘',
    column: '字段', type: '类型', comment: '注释', rowsWritten: '行数', at: '时间', noLineage: '尚无血缘记录：请先运行产出任务。',
    readers: '被读取', match: '匹配', rows: '行数', size: '大小',
  },
  query: {
    title: '自助查询', engine: '引擎', run: '运行', cancel: '取消', save: '保存', saved: '已保存为“{name}”', savedList: '已保存的查询', history: '历史',
    csv: '下载 CSV', xlsx: '下载 Excel', parquet: '下载 Parquet', hint: 'Ctrl+Enter 运行，Ctrl+S 保存', elapsed: '{n} 行，用时 {ms} 毫秒', namePrompt: '保存的查询名称',
  },
}
