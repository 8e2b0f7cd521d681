// Texts of the studio's Move (a task's file to another folder) and Delete.
export default {
  en: {
    studiotask: {
      move: 'Move', moveHint: 'Move the task’s file to another folder (the task and its history stay)',
      folder: 'Folder', newPath: 'New path', nameStays: 'The file name ({file}) stays: it names the task. Renaming a task is not offered (see the docs): create a new task and delete this one.',
      folderEmpty: 'Give a folder, e.g. tasks/ads.', folderAbsolute: 'The folder is relative to the project folder: no leading /.',
      folderBad: 'Folder names may hold letters, digits, _, - and . (no . or .. parts).', folderSame: 'The file is in this folder already.',
      movedMessage: 'moved from {from} to {to}', moved: 'Moved to {path} (version {n})',
      delete: 'Delete', deleteHint: 'Delete the task: its file leaves the project folder; versions and runs are kept',
      confirmDelete: 'Delete task {task}? Its file {path} is removed from the project folder and it is no longer scheduled; its versions and past runs are kept.',
      deleteNow: 'Delete task', deleted: 'Task {task} deleted',
      deletedUpdated: 'Task {task} deleted; removed from the upstreams of {tasks}',
      refused: 'Task {task} is an upstream of {n} task(s):',
      forceSame: 'Forcing saves a new version of {tasks} without {task} in their upstreams.',
      forceOther: 'Tasks of other projects keep naming it: {tasks}.',
      force: 'Force delete ({n} dependant(s))',
    },
  },
  zh: {
    studiotask: {
      move: '移动', moveHint: '把任务文件移动到其他目录（任务及其历史保留）',
      folder: '目录', newPath: '新路径', nameStays: '文件名（{file}）不变：它决定任务名。不提供任务重命名（见文档）：请新建任务后删除本任务。',
      folderEmpty: '请填写目录，例如 tasks/ads。', folderAbsolute: '目录相对于项目目录：不能以 / 开头。',
      folderBad: '目录名只能包含字母、数字、_、- 和 .（不能是 . 或 ..）。', folderSame: '文件已在该目录中。',
      movedMessage: '从 {from} 移动到 {to}', moved: '已移动到 {path}（版本 {n}）',
      delete: '删除', deleteHint: '删除任务：其文件从项目目录移除；版本和运行记录保留',
      confirmDelete: '删除任务 {task}？其文件 {path} 将从项目目录移除，不再调度；版本和历史运行保留。',
      deleteNow: '删除任务', deleted: '任务 {task} 已删除',
      deletedUpdated: '任务 {task} 已删除；已从 {tasks} 的上游中移除',
      refused: '任务 {task} 是 {n} 个任务的上游：',
      forceSame: '强制删除会为 {tasks} 保存一个不含 {task} 上游的新版本。',
      forceOther: '其他项目的任务仍引用它：{tasks}。',
      force: '强制删除（{n} 个下游）',
    },
  },
}
