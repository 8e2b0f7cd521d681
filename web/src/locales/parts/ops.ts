// Texts of the ops center's instance list and the day view's canvas DAG.
export default {
  en: {
    ops: {
      filterOwner: 'Owner', filterTier: 'Tier', tiers: { core: 'core', normal: 'normal' },
      pageLabel: 'Page', pageOf: 'of {pages}, {total} instance(s)', pageSize: 'Per page',
      pause: 'Pause tasks', resume: 'Resume tasks', offline: 'Take tasks offline', onTasks: 'Acts on the tasks: {tasks}',
      confirmTasks: '{action}: {n} task(s): {tasks}?', tasksDone: 'Done: {n} task(s)',
      offlineRefused: '{n} task(s) still have online downstream tasks; force takes them offline anyway.',
      forceOffline: 'Force offline ({n})', confirmForce: 'Force "{action}" of {n} task(s) although online tasks depend on them: {tasks}?',
    },
    day: {
      fit: 'Fit', zoomIn: 'Zoom in', zoomOut: 'Zoom out', lineage: '{up} upstream, {down} downstream',
      canvasHint: 'Drag to pan, wheel to zoom; hover a node for its upstream and downstream, click to open it',
    },
  },
  zh: {
    ops: {
      filterOwner: '负责人', filterTier: '等级', tiers: { core: '核心', normal: '普通' },
      pageLabel: '第', pageOf: '页，共 {pages} 页，{total} 个实例', pageSize: '每页',
      pause: '暂停任务', resume: '恢复任务', offline: '下线任务', onTasks: '作用于任务：{tasks}',
      confirmTasks: '{action}：{n} 个任务：{tasks}？', tasksDone: '完成：{n} 个任务',
      offlineRefused: '{n} 个任务仍有在线的下游任务；强制下线会忽略它们。',
      forceOffline: '强制下线（{n}）', confirmForce: '有在线任务依赖这 {n} 个任务，仍要强制“{action}”：{tasks}？',
    },
    day: {
      fit: '适应窗口', zoomIn: '放大', zoomOut: '缩小', lineage: '上游 {up} 个，下游 {down} 个',
      canvasHint: '拖动平移，滚轮缩放；悬停节点查看其上下游，点击打开实例',
    },
  },
}
