package meta

import (
	"cmp"
	"math"
	"slices"
	"strconv"
)

// The ops summary from rollups. The stores keep, in the transaction of every
// change to an instance (database triggers), two tables over the instances in
// final states: per (project, bizdate, owner, tier, state) the count and
// sums, and per (project, bizdate, owner, tier, duration bucket) the count of
// positive durations. Instances not in a final state are few and are read
// as they are. BuildSummary folds these into SummaryRows; the exact p95 of
// each group comes from the bucket counts, which say how far down the
// longest durations it lies, and then from the instances above that
// threshold only (SummaryTailFunc).

// SummaryCount is one row of the final-state rollup.
type SummaryCount struct {
	ProjectID    int64
	Bizdate      string
	Owner, Tier  string
	State        State
	Count        int
	DurationMs   int64
	CPUMicros    int64 // CPU-seconds × 10⁶, rounded per instance
	WithDeadline int
	OnTime       int
}

// SummaryBucket counts the final-state instances of a (project, bizdate,
// owner, tier) whose positive duration is at least Low and below the next
// bucket's Low. Owner or Tier may be "" when the store summed over them
// because the grouping does not need them.
type SummaryBucket struct {
	ProjectID   int64
	Bizdate     string
	Owner, Tier string
	Low         int64
	Count       int
}

// SummaryLive is one instance not in a final state, read as it is.
type SummaryLive struct {
	ProjectID  int64
	Bizdate    string
	VersionID  int64
	State      State
	DurationMs int64
	CPUSeconds float64
	Deadline   bool // it has a deadline
	OnTime     bool // it succeeded by its deadline
}

// SummaryThreshold asks for the durations of the final-state instances of a
// project and bizdate that are at least MinMs.
type SummaryThreshold struct {
	ProjectID int64
	Bizdate   string
	MinMs     int64
}

// SummaryTail is one such duration.
type SummaryTail struct {
	ProjectID  int64
	Bizdate    string
	VersionID  int64
	DurationMs int64
}

// SummaryTailFunc reads the durations the thresholds ask for.
type SummaryTailFunc func(ts []SummaryThreshold) ([]SummaryTail, error)

// SummaryDimsFunc reads the dims of task versions.
type SummaryDimsFunc func(versionIDs []int64) (map[int64]VersionDims, error)

// VersionDims are the owner and tier of a task version as the summary sees
// them: the spec's owner or "", the spec's tier or normal.
type VersionDims struct{ Owner, Tier string }

// DurationBucket is the lower bound of the duration bucket of ms (> 0): ms
// itself below 100, otherwise ms with all but its two leading digits
// zeroed. The stores compute the same in SQL; BuildSummary only relies on
// every duration of a bucket being at least its Low.
func DurationBucket(ms int64) int64 {
	if ms < 100 {
		return ms
	}
	p := int64(1)
	for ms/p >= 100 {
		p *= 10
	}
	return ms / p * p
}

// CPUMicros is the rollup's integer CPU time of one instance.
func CPUMicros(sec float64) int64 { return int64(math.Round(sec * 1e6)) }

// p95Rank is the nearest rank of the 95th percentile among n values.
func p95Rank(n int) int { return (n*95 + 99) / 100 }

type sumKey struct {
	bizdate string
	grp     string
	other   bool
}

type sumAcc struct {
	states  map[State]*SummaryRow
	buckets map[int64]int // Low → final-state count
	live    []int64       // positive durations of live instances
	npos    int
	pairs   map[SummaryThreshold]bool // (project, bizdate) it draws from, MinMs unset
	min     int64                     // the duration threshold
	tail    []int64
}

// BuildSummary computes the ops summary rows of p (see SummaryStore) from a
// store's rollups, its live instances, the dims of the versions those
// reference, and tail, which reads the final-state durations above the
// thresholds BuildSummary derives from the buckets. counts and buckets
// must already be limited to p's projects, range, owner and tier; live is
// filtered here.
func BuildSummary(p *SummaryParams, counts []SummaryCount, buckets []SummaryBucket, live []SummaryLive,
	readDims SummaryDimsFunc, tail SummaryTailFunc) ([]*SummaryRow, error) {
	dims := map[int64]VersionDims{}
	lookup := func(ids []int64) error {
		var want []int64
		seen := map[int64]bool{}
		for _, id := range ids {
			if _, ok := dims[id]; !ok && !seen[id] {
				seen[id] = true
				want = append(want, id)
			}
		}
		if len(want) == 0 {
			return nil
		}
		got, err := readDims(want)
		for id, d := range got {
			dims[id] = d
		}
		return err
	}
	ids := make([]int64, 0, len(live))
	for _, l := range live {
		ids = append(ids, l.VersionID)
	}
	if err := lookup(ids); err != nil {
		return nil, err
	}
	grpOf := func(project int64, owner, tier string) string {
		switch p.GroupBy {
		case GroupOwner:
			return owner
		case GroupTier:
			return tier
		case GroupProject:
			return strconv.FormatInt(project, 10)
		}
		return ""
	}
	keep := func(d VersionDims) bool {
		return (p.Owner == "" || d.Owner == p.Owner) && (p.Tier == "" || d.Tier == p.Tier)
	}
	// Instances per group over the whole range, for Top.
	totals := map[string]int{}
	for _, c := range counts {
		if c.Count != 0 {
			totals[grpOf(c.ProjectID, c.Owner, c.Tier)] += c.Count
		}
	}
	kept := live[:0:0]
	for _, l := range live {
		if keep(dims[l.VersionID]) {
			kept = append(kept, l)
			d := dims[l.VersionID]
			totals[grpOf(l.ProjectID, d.Owner, d.Tier)]++
		}
	}
	live = kept
	others := func(string) bool { return false }
	if p.Top > 0 && p.GroupBy != GroupNone {
		names := make([]string, 0, len(totals))
		for g := range totals {
			names = append(names, g)
		}
		slices.SortFunc(names, func(a, b string) int {
			return cmp.Or(cmp.Compare(totals[b], totals[a]), cmp.Compare(a, b))
		})
		top := map[string]bool{}
		for _, g := range names[:min(p.Top, len(names))] {
			top[g] = true
		}
		others = func(g string) bool { return !top[g] }
	}
	accs := map[sumKey]*sumAcc{}
	acc := func(bizdate string, project int64, owner, tier string) *sumAcc {
		g := grpOf(project, owner, tier)
		k := sumKey{bizdate: bizdate, grp: g}
		if others(g) {
			k.grp, k.other = "", true
		}
		a := accs[k]
		if a == nil {
			a = &sumAcc{states: map[State]*SummaryRow{}, buckets: map[int64]int{}, pairs: map[SummaryThreshold]bool{}}
			accs[k] = a
		}
		return a
	}
	row := func(a *sumAcc, k sumKey, st State) *SummaryRow {
		r := a.states[st]
		if r == nil {
			r = &SummaryRow{Bizdate: k.bizdate, Group: k.grp, Others: k.other, State: st}
			a.states[st] = r
		}
		return r
	}
	keyOf := func(bizdate string, project int64, owner, tier string) sumKey {
		g := grpOf(project, owner, tier)
		if others(g) {
			return sumKey{bizdate: bizdate, other: true}
		}
		return sumKey{bizdate: bizdate, grp: g}
	}
	// CPU is summed in integer microseconds, then divided once.
	cpu := map[*SummaryRow]int64{}
	for _, c := range counts {
		if c.Count == 0 {
			continue
		}
		a, k := acc(c.Bizdate, c.ProjectID, c.Owner, c.Tier), keyOf(c.Bizdate, c.ProjectID, c.Owner, c.Tier)
		r := row(a, k, c.State)
		r.Count += c.Count
		r.DurationMs += c.DurationMs
		r.WithDeadline += c.WithDeadline
		r.OnTime += c.OnTime
		cpu[r] += c.CPUMicros
	}
	for _, l := range live {
		d := dims[l.VersionID]
		a, k := acc(l.Bizdate, l.ProjectID, d.Owner, d.Tier), keyOf(l.Bizdate, l.ProjectID, d.Owner, d.Tier)
		r := row(a, k, l.State)
		r.Count++
		r.DurationMs += l.DurationMs
		if l.Deadline {
			r.WithDeadline++
		}
		if l.OnTime {
			r.OnTime++
		}
		cpu[r] += CPUMicros(l.CPUSeconds)
		if l.DurationMs > 0 {
			a.live = append(a.live, l.DurationMs)
			a.npos++
		}
	}
	for _, b := range buckets {
		if b.Count == 0 {
			continue
		}
		a := acc(b.Bizdate, b.ProjectID, b.Owner, b.Tier)
		a.buckets[b.Low] += b.Count
		a.npos += b.Count
		a.pairs[SummaryThreshold{ProjectID: b.ProjectID, Bizdate: b.Bizdate}] = true
	}
	// Each group's threshold: the highest duration d such that at least m
	// of its positive durations are ≥ d, where the p95 is the m-th longest,
	// counting a bucket only when its Low is ≥ d (so the count is a lower
	// bound and the p95 is surely ≥ d).
	need := map[SummaryThreshold]int64{}
	for _, a := range accs {
		if len(a.pairs) == 0 {
			continue // no final-state duration: the live ones decide
		}
		m := a.npos - p95Rank(a.npos) + 1
		cands := slices.Collect(func(yield func(int64) bool) {
			for low := range a.buckets {
				if !yield(low) {
					return
				}
			}
			for _, d := range a.live {
				if !yield(d) {
					return
				}
			}
		})
		slices.Sort(cands)
		slices.Reverse(cands)
		slices.Sort(a.live)
		n := 0
		for i, c := range cands {
			if i > 0 && c == cands[i-1] {
				continue
			}
			n += a.buckets[c]
			if n+len(a.live)-lowerBound(a.live, c) >= m {
				a.min = c
				break
			}
		}
		for pr := range a.pairs {
			if t, ok := need[pr]; !ok || a.min < t {
				need[pr] = a.min
			}
		}
	}
	if len(need) > 0 {
		ts := make([]SummaryThreshold, 0, len(need))
		for pr, t := range need {
			ts = append(ts, SummaryThreshold{ProjectID: pr.ProjectID, Bizdate: pr.Bizdate, MinMs: t})
		}
		slices.SortFunc(ts, func(a, b SummaryThreshold) int {
			return cmp.Or(cmp.Compare(a.ProjectID, b.ProjectID), cmp.Compare(a.Bizdate, b.Bizdate))
		})
		got, err := tail(ts)
		if err != nil {
			return nil, err
		}
		ids = ids[:0]
		for _, t := range got {
			ids = append(ids, t.VersionID)
		}
		if err := lookup(ids); err != nil {
			return nil, err
		}
		for _, t := range got {
			d, ok := dims[t.VersionID]
			if !ok || !keep(d) || t.DurationMs <= 0 {
				continue
			}
			k := keyOf(t.Bizdate, t.ProjectID, d.Owner, d.Tier)
			if a := accs[k]; a != nil && t.DurationMs >= a.min {
				a.tail = append(a.tail, t.DurationMs)
			}
		}
	}
	out := make([]*SummaryRow, 0, len(accs)*2)
	for _, a := range accs {
		var p95 int64
		if a.npos > 0 {
			m := a.npos - p95Rank(a.npos) + 1
			all := append(a.tail, a.live...)
			slices.Sort(all)
			if len(all) >= m {
				p95 = all[len(all)-m]
			}
		}
		for _, r := range a.states {
			r.P95DurationMs = p95
			r.CPUSeconds = float64(cpu[r]) / 1e6
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *SummaryRow) int {
		return cmp.Or(cmp.Compare(a.Bizdate, b.Bizdate), boolCmp(a.Others, b.Others), cmp.Compare(a.Group, b.Group),
			cmp.Compare(a.State, b.State))
	})
	return out, nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// lowerBound is the index of the first element of sorted xs that is ≥ v.
func lowerBound(xs []int64, v int64) int {
	i, _ := slices.BinarySearch(xs, v)
	return i
}
