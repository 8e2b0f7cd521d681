package events

// BackfillFinished is published once when every instance of a backfill has
// ended. The event's Instance carries the project, the tasks (comma-joined)
// in TaskName, the range "from..to" in Bizdate and, when some failed, a
// summary in Error.
const BackfillFinished Kind = "backfill.finished"
