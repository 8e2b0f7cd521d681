// Package apply turns a loaded project folder into metadata: it creates the
// project, upserts its data sources with encrypted secrets, and saves a new
// immutable version of every task whose definition changed, all in one
// transaction.
package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/project"
	"github.com/kilnhq/kiln/secret"
)

// Result says what an apply changed. Task lists are sorted.
type Result struct {
	Project        string         `json:"project"`
	ProjectCreated bool           `json:"project_created"`
	Added          []string       `json:"added"`
	Changed        []string       `json:"changed"`
	Removed        []string       `json:"removed"`
	Unchanged      []string       `json:"unchanged"`
	Versions       map[string]int `json:"versions"` // task → its current version after the apply
	DataSources    []string       `json:"data_sources"`
	DryRun         bool           `json:"dry_run"`
}

// Options tune an apply.
type Options struct {
	// Secrets are data-source passwords by data-source name; a data source
	// with no entry keeps the secret it has.
	Secrets map[string]string
	Author  string
	Message string
	// DryRun computes the result and changes nothing.
	DryRun bool
	// OnCreate runs in the transaction right after a new project is created,
	// e.g. to make the author its owner.
	OnCreate func(ctx context.Context, tx meta.Store, p *meta.Project) error
}

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

// Apply saves p into store.
func Apply(ctx context.Context, store meta.Store, box *secret.Box, p *project.Project, opt Options) (*Result, error) {
	res := &Result{Project: p.Name, Versions: map[string]int{}, DryRun: opt.DryRun}
	lineage.AdviseUpstreams(p, true) // tasks with auto_upstreams get their lineage's upstreams
	err := store.InTx(ctx, func(tx meta.Store) error {
		*res = Result{Project: p.Name, Versions: map[string]int{}, DryRun: opt.DryRun} // a store may run this again after a deadlock
		proj, err := upsertProject(ctx, tx, p, res, opt)
		if err != nil {
			return err
		}
		if err := applySources(ctx, tx, box, proj, p, opt.Secrets, res); err != nil {
			return err
		}
		if err := applyTasks(ctx, tx, proj, p, opt, res); err != nil {
			return err
		}
		if opt.DryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return nil, err
	}
	return res, nil
}

func upsertProject(ctx context.Context, tx meta.Store, p *project.Project, res *Result, opt Options) (*meta.Project, error) {
	proj, err := tx.GetProject(ctx, p.Name)
	if errors.Is(err, meta.ErrNotFound) {
		proj, err = tx.CreateProject(ctx, &meta.CreateProjectParams{Name: p.Name, Description: p.Description, DefaultEngine: p.DefaultEngine, Config: p.Config})
		if err != nil {
			return nil, err
		}
		res.ProjectCreated = true
		if opt.OnCreate != nil {
			if err := opt.OnCreate(ctx, tx, proj); err != nil {
				return nil, err
			}
		}
		return proj, nil
	}
	if err != nil {
		return nil, err
	}
	return tx.UpdateProject(ctx, &meta.UpdateProjectParams{ID: proj.ID, Description: p.Description, DefaultEngine: p.DefaultEngine, Config: keepUISettings(p, proj.Config)})
}

// keepUISettings is the project's new config: kiln.yaml's, except that the
// alert settings and pools stay as stored (set in the web UI or by an
// earlier apply) when kiln.yaml has no alerts: or pools: section.
func keepUISettings(p *project.Project, stored meta.Config) meta.Config {
	c := p.Config
	if !p.AlertsSet {
		c.Alerts = stored.Alerts
	}
	if !p.PoolsSet {
		c.Pools = stored.Pools
	}
	return c
}

func applySources(ctx context.Context, tx meta.Store, box *secret.Box, proj *meta.Project, p *project.Project, secrets map[string]string, res *Result) error {
	have, err := tx.ListDataSources(ctx, proj.ID)
	if err != nil {
		return err
	}
	old := map[string]*meta.DataSource{}
	for _, ds := range have {
		old[ds.Name] = ds
	}
	for _, e := range p.Engines {
		dsn := e.DSN
		if e.Kind == "duckdb" && e.Path != "" {
			dsn = e.Path
		}
		var sealed []byte
		if pw, ok := secrets[e.Name]; ok {
			if sealed, err = box.Seal(pw); err != nil {
				return err
			}
		} else if prev, ok := old[e.Name]; ok {
			sealed = prev.SecretEnc
		}
		if _, err := tx.UpsertDataSource(ctx, &meta.UpsertDataSourceParams{ProjectID: proj.ID, Name: e.Name, Kind: e.Kind, DSN: dsn, Options: e.Options, SecretEnc: sealed}); err != nil {
			return fmt.Errorf("data source %q: %w", e.Name, err)
		}
		res.DataSources = append(res.DataSources, e.Name)
		delete(old, e.Name)
	}
	for name := range old {
		if err := tx.DeleteDataSource(ctx, proj.ID, name); err != nil {
			return err
		}
	}
	return nil
}

func applyTasks(ctx context.Context, tx meta.Store, proj *meta.Project, p *project.Project, opt Options, res *Result) error {
	existing, err := tx.ListTasks(ctx, &meta.ListTasksParams{ProjectID: proj.ID, IncludeRemoved: true})
	if err != nil {
		return err
	}
	byName := map[string]*meta.Task{}
	for _, t := range existing {
		byName[t.Name] = t
	}
	for _, spec := range p.Tasks {
		hash := project.SpecHash(spec)
		t, ok := byName[spec.Name]
		delete(byName, spec.Name)
		if !ok {
			_, v, err := tx.CreateTask(ctx, &meta.CreateTaskParams{ProjectID: proj.ID, Spec: spec, Hash: hash, Author: opt.Author, Message: opt.Message})
			if err != nil {
				return fmt.Errorf("create task %s: %w", spec.Name, err)
			}
			res.Added = append(res.Added, spec.Name)
			res.Versions[spec.Name] = v.Version
			continue
		}
		cur, err := tx.GetVersion(ctx, t.ID, t.CurrentVersion)
		if err != nil {
			return fmt.Errorf("task %s: %w", spec.Name, err)
		}
		if cur.Hash == hash && !t.Removed {
			res.Unchanged = append(res.Unchanged, spec.Name)
			res.Versions[spec.Name] = cur.Version
			continue
		}
		v, err := tx.AddVersion(ctx, &meta.AddVersionParams{TaskID: t.ID, Spec: spec, Hash: hash, Author: opt.Author, Message: opt.Message})
		if err != nil {
			return fmt.Errorf("save task %s: %w", spec.Name, err)
		}
		if t.Removed {
			res.Added = append(res.Added, spec.Name)
		} else {
			res.Changed = append(res.Changed, spec.Name)
		}
		res.Versions[spec.Name] = v.Version
	}
	for name, t := range byName {
		if t.Removed {
			continue
		}
		if err := tx.RemoveTask(ctx, t.ID); err != nil {
			return fmt.Errorf("remove task %s: %w", name, err)
		}
		res.Removed = append(res.Removed, name)
	}
	for _, l := range [][]string{res.Added, res.Changed, res.Removed, res.Unchanged, res.DataSources} {
		sort.Strings(l)
	}
	return nil
}
