// Texts of the studio's guards: unsaved edits, load errors of the task tree
// and of lineage's upstream suggestions.
export default {
  en: {
    studioguard: {
      discard: 'The editor has unsaved changes. Discard them?',
      treeFailed: 'Could not load the tasks: {msg}',
      noSuggestions: 'Lineage’s upstream suggestions could not be loaded: {msg}',
    },
  },
  zh: {
    studioguard: {
      discard: '编辑器中有未保存的修改，确定放弃吗？',
      treeFailed: '无法加载任务列表：{msg}',
      noSuggestions: '无法加载血缘建议的上游任务：{msg}',
    },
  },
}
