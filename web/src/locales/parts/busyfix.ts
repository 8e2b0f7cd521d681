// Texts of the busy-state and locale fixes: durations, query run states,
// and the alert settings' save guard.
export default {
  en: {
    units: { sec: '{n} s', min: '{n} min' },
    query: {
      status: { queued: 'queued', running: 'running', succeeded: 'succeeded', failed: 'failed', canceled: 'canceled', timed_out: 'timed out' },
      statusLine: 'Query #{id}: {status}', ended: 'The query ended: {status}', endedWith: 'The query ended: {status} ({msg})',
      cancelFailed: 'Cancel failed: {msg}', pageFailed: 'Page {n} did not load: {msg}',
    },
    alertcfg: {
      notLoaded: 'The alert settings did not load, so saving is off: a save would replace what is stored. Reload to try again.',
    },
  },
  zh: {
    units: { sec: '{n} 秒', min: '{n} 分钟' },
    query: {
      status: { queued: '排队中', running: '运行中', succeeded: '成功', failed: '失败', canceled: '已取消', timed_out: '超时' },
      statusLine: '查询 #{id}：{status}', ended: '查询结束：{status}', endedWith: '查询结束：{status}（{msg}）',
      cancelFailed: '取消失败：{msg}', pageFailed: '第 {n} 页加载失败：{msg}',
    },
    alertcfg: {
      notLoaded: '告警设置没有加载成功，已禁止保存：保存会覆盖已存储的设置。请刷新页面重试。',
    },
  },
}
