package events

// CDC job events. The Instance carries the project ID, the task name and
// the message in Error; it has no ID (a CDC job is not an instance).
const (
	// SyncLagging: a CDC job fell further behind its source than its max_lag.
	SyncLagging Kind = "sync.lagging"
	// SyncCaughtUp: a lagging CDC job is back under half its max_lag.
	SyncCaughtUp Kind = "sync.caught_up"
	// CDCFailed: a CDC job failed; it starts again from its saved position
	// after a delay.
	CDCFailed Kind = "cdc.failed"
)
