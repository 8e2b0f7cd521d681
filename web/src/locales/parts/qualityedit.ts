// Texts of the quality page's rule form and the day view's filters and
// search.
export default {
  en: {
    quality: {
      add: 'Add rule', edit: 'Edit', remove: 'Delete', save: 'Save rule', saving: 'Saving…', cancel: 'Cancel',
      newRule: 'New rule', editRule: 'Rule {name} (#{id})', confirmRemove: 'Delete rule {name}? Its stored results stay.',
      actions: 'Actions', sourceTask: 'project folder', sourceApi: 'added here',
      inFolderShort: 'change in the project folder',
      inFolder: 'Defined in the project folder (task file or rules/*.yaml): change it there and apply.',
      folderNote: 'Rules from the project folder (task files and rules/*.yaml) are changed there; rules added here can be edited and deleted here.',
      historyNote: 'Results are kept under the task and the rule\'s name: keep the name to keep the history.',
      task: 'Task', name: 'Name (blank: from check and column)', check: 'Check', severity: 'Severity',
      weak: 'weak (alerts)', strong: 'strong (fails the run)', tableOpt: 'Table (blank: the task\'s target)',
      where: 'Where (blank: the period written)', column: 'Column', columns: 'Columns (comma-separated)', min: 'Min', max: 'Max',
      maxPct: 'Max change %', versus: 'Compared with', values: 'Values (comma-separated)', pattern: 'Pattern (regular expression)',
      sql: 'SQL', metric: 'Metric', method: 'Method', k: 'k (band width)', history: 'History (periods)', minHistory: 'Min history (periods)',
      cmpSource: 'Compare: data source (blank: the task\'s)', cmpTable: 'Compare: table', cmpWhere: 'Compare: where', cmpSql: 'Compare: SQL instead of a table',
      cmpMode: 'Compare: mode', cmpSums: 'Compare: summed columns (comma-separated)', dflt: '(default)',
      saved: 'Saved rule {name}.', removed: 'Deleted rule {name}.',
    },
    day: {
      filterTask: 'Task contains', filterState: 'State', anyState: 'any state', matched: '{n} of {total} match',
      search: 'Find a node', searchGo: 'Find', searchNext: 'Next', found: '{i} of {n}', notFound: 'No node matches',
    },
  },
  zh: {
    quality: {
      add: '添加规则', edit: '编辑', remove: '删除', save: '保存规则', saving: '正在保存…', cancel: '取消',
      newRule: '新规则', editRule: '规则 {name}（#{id}）', confirmRemove: '删除规则 {name}？已有的检查结果会保留。',
      actions: '操作', sourceTask: '项目目录', sourceApi: '在此添加',
      inFolderShort: '在项目目录中修改',
      inFolder: '定义在项目目录中（任务文件或 rules/*.yaml）：请在那里修改并 apply。',
      folderNote: '项目目录中的规则（任务文件和 rules/*.yaml）在目录中修改；在这里添加的规则可以在这里编辑和删除。',
      historyNote: '检查结果按任务和规则名保存：名称不变，历史就保留。',
      task: '任务', name: '名称（留空：由检查和列生成）', check: '检查', severity: '级别',
      weak: '弱（只告警）', strong: '强（运行失败）', tableOpt: '表（留空：任务的目标表）',
      where: '过滤条件（留空：本次写入的周期）', column: '列', columns: '列（逗号分隔）', min: '最小值', max: '最大值',
      maxPct: '最大变化 %', versus: '对比', values: '取值（逗号分隔）', pattern: '模式（正则表达式）',
      sql: 'SQL', metric: '指标', method: '方法', k: 'k（带宽）', history: '历史（周期数）', minHistory: '最少历史（周期数）',
      cmpSource: '对比：数据源（留空：任务的）', cmpTable: '对比：表', cmpWhere: '对比：过滤条件', cmpSql: '对比：用 SQL 代替表',
      cmpMode: '对比：方式', cmpSums: '对比：求和的列（逗号分隔）', dflt: '（默认）',
      saved: '已保存规则 {name}。', removed: '已删除规则 {name}。',
    },
    day: {
      filterTask: '任务名包含', filterState: '状态', anyState: '任意状态', matched: '{total} 个中 {n} 个匹配',
      search: '查找节点', searchGo: '查找', searchNext: '下一个', found: '第 {i} 个，共 {n} 个', notFound: '没有匹配的节点',
    },
  },
}
