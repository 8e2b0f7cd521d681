// Texts of the data map's table page, its column-level lineage graph, the
// search filters, and the console's connection test.
export default {
  en: {
    datamap: {
      owner: 'Owner', tags: 'Tags', noTags: 'no tags', unknown: 'unknown',
      quality: 'Quality', qualityChart: 'Charts on the quality page', noQuality: 'No quality rules cover this table.',
      verdict: 'Latest verdict', notRun: 'not run yet', metric: 'Metric', bizdate: 'Date',
      tag: 'Tag', levelTable: 'Tables', levelColumn: 'Columns', showAll: 'Show all columns',
      expandColumns: 'Click a table name to expand its column lineage (a second click opens it); click a column to highlight its upstream and downstream path.',
      noColumnLineage: 'No column lineage recorded for this table.', moreColumns: '+{n} more column(s)',
      selected: 'Path of {col}: {up} upstream, {down} downstream column(s)', clear: 'Clear',
    },
    console: {
      test: 'Test connection', testing: 'Testing…', testOk: 'OK in {ms} ms', testFailed: 'Failed after {ms} ms: {msg}', connection: 'Connection test',
    },
  },
  zh: {
    datamap: {
      owner: '负责人', tags: '标签', noTags: '无标签', unknown: '未知',
      quality: '数据质量', qualityChart: '在数据质量页查看图表', noQuality: '没有质量规则覆盖这张表。',
      verdict: '最近结果', notRun: '尚未运行', metric: '指标值', bizdate: '日期',
      tag: '标签', levelTable: '表级', levelColumn: '字段级', showAll: '显示全部字段',
      expandColumns: '点击表名展开其字段血缘（再次点击打开该表）；点击字段高亮其上下游路径。',
      noColumnLineage: '这张表还没有字段血缘记录。', moreColumns: '另有 {n} 个字段',
      selected: '{col} 的路径：上游 {up} 个字段，下游 {down} 个字段', clear: '清除',
    },
    console: {
      test: '测试连接', testing: '测试中…', testOk: '成功，耗时 {ms} 毫秒', testFailed: '失败（{ms} 毫秒）：{msg}', connection: '连接测试',
    },
  },
}
