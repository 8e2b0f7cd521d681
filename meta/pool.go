package meta

import (
	"context"
	"fmt"
	"regexp"
)

// PoolUsage is how many instances of a project are in one pool now.
type PoolUsage struct {
	Pool    string `json:"pool"`
	Running int    `json:"running"`
	Queued  int    `json:"queued"`
}

// PoolStore counts a project's instances per pool, for the console's
// pools page. Both metadata stores implement it.
type PoolStore interface {
	// PoolUsage lists the pools of a project that have running or queued
	// instances, by name.
	PoolUsage(ctx context.Context, projectID int64) ([]*PoolUsage, error)
	// PoolSlots is every project's pool caps as the projects say now, with
	// DuckDBPool at DefaultDuckDBSlots where a project does not set it. A
	// worker reads it before each claim, so a cap set by another process
	// (an apply, the console) holds from its next claim on.
	PoolSlots(ctx context.Context) (map[PoolKey]int, error)
}

var poolNameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// ValidatePool checks a pool's name (1-64 letters, digits, '_', '.', '-')
// and slots (at least 1).
func ValidatePool(name string, slots int) error {
	if !poolNameRe.MatchString(name) {
		return fmt.Errorf("pool name %q: want 1-64 letters, digits, '_', '.' or '-'", name)
	}
	if slots < 1 {
		return fmt.Errorf("pool %s: slots must be at least 1, got %d", name, slots)
	}
	return nil
}

// PoolSlotRow is one row the stores read for PoolSlots: a project's pool and
// its slots, or (Pool nil) just the project, which gets the duckdb default.
type PoolSlotRow struct {
	Project int64
	Pool    *string
	Slots   *int
}

// BuildPoolSlots turns the stores' rows into PoolSlots's map.
func BuildPoolSlots(rows []PoolSlotRow) map[PoolKey]int {
	out := map[PoolKey]int{}
	for _, x := range rows {
		if x.Pool == nil || x.Slots == nil {
			k := PoolKey{ProjectID: x.Project, Pool: DuckDBPool}
			if _, set := out[k]; !set {
				out[k] = DefaultDuckDBSlots
			}
			continue
		}
		out[PoolKey{ProjectID: x.Project, Pool: *x.Pool}] = *x.Slots
	}
	return out
}
