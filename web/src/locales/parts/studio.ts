// Texts of the development studio's editor (completion, format) and settings panel.
export default {
  en: {
    studio: {
      format: 'Format', formatHint: 'Shift+Alt+F or Ctrl+Shift+F formats the SQL (the settings header is kept)',
      formatFailed: 'Could not format: {msg}',
      cronHint: 'cron, e.g. 0 2 * * *', manualOnly: 'No schedule: the task runs only when started by hand.',
      nextRuns: 'Next runs (computed by the scheduler):', runsBizdate: 'business date {date}',
      addUpstream: 'Add an upstream task', add: 'Add', removeUpstream: 'Remove this upstream',
      suggested: 'Suggested by lineage (tasks writing tables this task reads):', writes: 'writes {tables}',
      unneeded: 'not in lineage', unneededHint: 'Lineage sees no table written by {task} that this task reads',
      default: 'project default', durationHint: 'e.g. 30m, 1h30m', saveSettings: 'Save settings', discard: 'Discard changes',
      saveFileFirst: 'Save or undo the editor’s changes first.', settingsReadOnly: 'Your role cannot change task settings.',
      settingsSaved: 'Settings saved as version {n}', tiers: { core: 'core', normal: 'normal' },
      paramHelp: {
        bizdate: 'the business date (logical date) of the run', bizdate_nodash: 'the business date without dashes',
        yyyymmdd: 'the business date without dashes', hour: 'the hour of an hourly run, 00–23', cyctime: 'business date and hour',
        month_start: 'first day of the business date’s month', month_end: 'last day of the business date’s month',
        week_start: 'Monday of the business date’s week', year_start: 'first day of the business date’s year',
        project: 'the project’s name', task: 'the task’s name', data_dir: 'the server’s data directory',
        project_param: 'project parameter: {value}',
      },
    },
  },
  zh: {
    studio: {
      format: '格式化', formatHint: 'Shift+Alt+F 或 Ctrl+Shift+F 格式化 SQL（保留设置头）',
      formatFailed: '无法格式化：{msg}',
      cronHint: 'cron，例如 0 2 * * *', manualOnly: '未设置调度：任务只在手动启动时运行。',
      nextRuns: '接下来的运行时间（由调度器计算）：', runsBizdate: '业务日期 {date}',
      addUpstream: '添加上游任务', add: '添加', removeUpstream: '移除该上游',
      suggested: '血缘建议（产出本任务所读表的任务）：', writes: '产出 {tables}',
      unneeded: '血缘中无依据', unneededHint: '血缘中没有发现本任务读取 {task} 产出的表',
      default: '项目默认', durationHint: '例如 30m、1h30m', saveSettings: '保存配置', discard: '放弃修改',
      saveFileFirst: '请先保存或撤销编辑器中的修改。', settingsReadOnly: '你的角色不能修改任务配置。',
      settingsSaved: '配置已保存为版本 {n}', tiers: { core: '核心 (core)', normal: '普通 (normal)' },
      paramHelp: {
        bizdate: '运行的业务日期（逻辑日期）', bizdate_nodash: '不带横线的业务日期',
        yyyymmdd: '不带横线的业务日期', hour: '小时任务的小时，00–23', cyctime: '业务日期和小时',
        month_start: '业务日期所在月的第一天', month_end: '业务日期所在月的最后一天',
        week_start: '业务日期所在周的周一', year_start: '业务日期所在年的第一天',
        project: '项目名', task: '任务名', data_dir: '服务器的数据目录',
        project_param: '项目参数：{value}',
      },
    },
  },
}
