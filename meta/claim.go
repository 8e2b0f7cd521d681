package meta

// ClaimCandidate is a queued instance a claim may take, in queue order.
type ClaimCandidate struct {
	ID            int64
	ProjectID     int64
	TaskID        int64
	Pool          string
	MaxConcurrent int
}

// RunningCount is how many instances run in one pool of a project and of
// one task.
type RunningCount struct {
	ProjectID int64
	Pool      string
	TaskID    int64
	N         int
}

// PickClaims chooses up to limit of the candidates, in their order, so that
// no pool in pools and no task with a MaxConcurrent goes over its cap
// counting what already runs. Both stores call it inside the claim's
// transaction, so the counts cannot change under it.
func PickClaims(cands []ClaimCandidate, running []RunningCount, pools map[PoolKey]int, limit int) []int64 {
	inPool := map[PoolKey]int{}
	inTask := map[int64]int{}
	for _, r := range running {
		inPool[PoolKey{r.ProjectID, r.Pool}] += r.N
		inTask[r.TaskID] += r.N
	}
	var out []int64
	for _, c := range cands {
		if len(out) >= limit {
			break
		}
		k := PoolKey{c.ProjectID, c.Pool}
		if slots, ok := pools[k]; ok && inPool[k] >= slots {
			continue
		}
		if c.MaxConcurrent > 0 && inTask[c.TaskID] >= c.MaxConcurrent {
			continue
		}
		inPool[k]++
		inTask[c.TaskID]++
		out = append(out, c.ID)
	}
	return out
}
