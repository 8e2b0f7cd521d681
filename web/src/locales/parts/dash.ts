// Texts of the dashboard (grouped ops summary) and the query result chart.
export default {
  en: {
    dashboard: {
      rangeLabel: 'Range', custom: 'From – to', from: 'From', to: 'To', groupBy: 'Group by', groupNone: 'No grouping',
      groupOwner: 'Owner', groupTier: 'Tier', groupProject: 'Project', owner: 'Owner', tier: 'Tier', anyTier: 'Any tier',
      allProjects: 'All my projects', others: 'Others', noOwner: '(no owner)', allInstances: 'All', group: 'Group',
      totalDuration: 'Total duration (h)', p95Title: 'p95 duration (min)', cost: 'Cost (CPU-hours)', cpuHours: 'CPU-hours',
      byState: 'Instances by state', success: 'Succeeded', failed: 'Failed', p95s: 'p95 (s)', hours: 'Duration (h)',
      topNote: 'The 10 largest groups by instances are drawn; the rest are summed as "Others".',
      costNote: 'Cost is CPU time of shell and python tasks in CPU-hours (no price is configured); SQL run by an engine is not counted.',
      rows: '{n} row(s)', tiers: { core: 'core', normal: 'normal' },
    },
    query: {
      grid: 'Grid', chart: 'Chart', chartType: 'Chart type', xColumn: 'X axis', yColumns: 'Y columns',
      chartTypes: { bar: 'Bar', line: 'Line', pie: 'Pie', scatter: 'Scatter' },
      noNumeric: 'This result has no numeric column to chart; select at least one number (e.g. count(*) or sum(...)).',
      noY: 'Pick at least one Y column.',
      chartRows: 'Chart of the {n} row(s) on this page of {total}.',
      chartTruncated: 'The result was truncated at {n} row(s) by the row limit; the chart shows only rows fetched.',
      pieOne: 'A pie shows the first Y column only.',
      chartSaved: 'Chart',
    },
  },
  zh: {
    dashboard: {
      rangeLabel: '时间范围', custom: '自定义起止', from: '开始', to: '结束', groupBy: '分组', groupNone: '不分组',
      groupOwner: '负责人', groupTier: '等级', groupProject: '项目', owner: '负责人', tier: '等级', anyTier: '全部等级',
      allProjects: '我的全部项目', others: '其他', noOwner: '（无负责人）', allInstances: '全部', group: '分组',
      totalDuration: '总耗时（小时）', p95Title: 'p95 耗时（分钟）', cost: '成本（CPU 小时）', cpuHours: 'CPU 小时',
      byState: '各状态实例数', success: '成功', failed: '失败', p95s: 'p95（秒）', hours: '耗时（小时）',
      topNote: '按实例数取前 10 个分组绘制，其余合计为“其他”。',
      costNote: '成本为 shell 和 python 任务的 CPU 时间（CPU 小时，未配置单价）；由引擎执行的 SQL 不计入。',
      rows: '{n} 行', tiers: { core: '核心', normal: '普通' },
    },
    query: {
      grid: '表格', chart: '图表', chartType: '图表类型', xColumn: 'X 轴', yColumns: 'Y 列',
      chartTypes: { bar: '柱状图', line: '折线图', pie: '饼图', scatter: '散点图' },
      noNumeric: '结果中没有可绘图的数值列；请至少查询一个数字列（如 count(*) 或 sum(...)）。',
      noY: '请至少选择一个 Y 列。',
      chartRows: '图表基于本页 {n} 行（共 {total} 行）。',
      chartTruncated: '结果已按行数上限截断为 {n} 行；图表只包含已取回的行。',
      pieOne: '饼图只显示第一个 Y 列。',
      chartSaved: '图表',
    },
  },
}
