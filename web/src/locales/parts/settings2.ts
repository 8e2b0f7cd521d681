// Texts of the studio's further task settings (priority, tags, description,
// parameters, memory limit, auto upstreams) and of the day view's filtered
// Gantt chart and vue-flow search.
export default {
  en: {
    studio: {
      priority: 'Priority', priorityHint: 'higher runs first; may be negative',
      tags: 'Tags', tagsHint: 'comma separated',
      description: 'Description',
      params: 'Parameters', paramName: 'name', paramValue: 'value', addParam: 'Add parameter', removeParam: 'Remove parameter',
      memoryLimit: 'Memory limit (MB)',
      autoUpstreams: 'Add the upstreams the SQL lineage implies (auto_upstreams)',
      deadline: 'Deadline', deadlineHint: 'after the scheduled time; on time = succeeded by then',
      maxConcurrent: 'Max concurrent runs', maxConcurrentHint: 'of this task at once', noCap: 'no cap',
      dependsOnPast: 'Wait for the previous cycle of this task to succeed (depends_on_past)',
    },
    day: {
      ganttMatched: '{n} of {total} row(s) match the filters',
      ganttNone: 'No run matches the filters.',
    },
  },
  zh: {
    studio: {
      priority: '优先级', priorityHint: '越大越先运行，可为负数',
      tags: '标签', tagsHint: '逗号分隔',
      description: '描述',
      params: '参数', paramName: '名称', paramValue: '值', addParam: '添加参数', removeParam: '删除参数',
      memoryLimit: '内存上限（MB）',
      autoUpstreams: '按 SQL 血缘自动添加上游（auto_upstreams）',
      deadline: '截止时间', deadlineHint: '相对计划时间；在此之前成功即为准时',
      maxConcurrent: '最大并发', maxConcurrentHint: '本任务同时运行的实例数', noCap: '不限',
      dependsOnPast: '等待本任务上一周期成功（自依赖，depends_on_past）',
    },
    day: {
      ganttMatched: '{total} 行中 {n} 行符合筛选条件',
      ganttNone: '没有符合筛选条件的运行。',
    },
  },
}
