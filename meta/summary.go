package meta

import "context"

// SummaryStore computes the ops summary in the database: per business date
// and group, instance counts by state, durations, p95 and CPU time, so that
// a dashboard over many days never loads the instances themselves.
type SummaryStore interface {
	// OpsSummary returns one row per (bizdate, group, state), ordered by
	// bizdate, then group, with the others row after the named groups.
	OpsSummary(ctx context.Context, p *SummaryParams) ([]*SummaryRow, error)
}

// SummaryGroup is what the ops summary groups instances by besides the
// business date.
type SummaryGroup string

// The summary groupings. Owner and tier are those of the task version that
// ran, so a past day keeps the owner and tier it ran under; a version
// without a tier is normal.
const (
	GroupNone    SummaryGroup = ""
	GroupOwner   SummaryGroup = "owner"
	GroupTier    SummaryGroup = "tier"
	GroupProject SummaryGroup = "project"
)

// SummaryParams select the ops summary.
type SummaryParams struct {
	// ProjectIDs limits the summary to these projects; nil: every project.
	// An empty non-nil slice selects nothing.
	ProjectIDs  []int64
	BizdateFrom string // YYYY-MM-DD, inclusive
	BizdateTo   string // YYYY-MM-DD, inclusive
	GroupBy     SummaryGroup
	// Owner and Tier keep only instances of versions with that owner or tier.
	Owner, Tier string
	// Top keeps the Top groups with the most instances over the whole range
	// and merges the rest into one row per bizdate with Others set; 0: all.
	Top int
}

// SummaryRow is the aggregate of one state of one group on one bizdate.
type SummaryRow struct {
	Bizdate string
	// Group is the owner, the tier or the project id (as text) by GroupBy;
	// "" when not grouped (or the owner or tier is empty).
	Group  string
	Others bool // the groups beyond Top, merged
	State  State
	Count  int
	// DurationMs and CPUSeconds are sums over the rows' instances.
	DurationMs int64
	CPUSeconds float64
	// WithDeadline counts instances that have a deadline, OnTime those of
	// them that succeeded by it.
	WithDeadline, OnTime int
	// P95DurationMs is the 95th percentile (nearest rank) of the positive
	// durations of the whole group on the bizdate, in every state; the same
	// on each state row of the group.
	P95DurationMs int64
}
