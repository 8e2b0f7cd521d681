package lineage

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/params"
)

// SampleBizdate is the fixed date parameters are rendered with before
// parsing: no parser accepts ${bizdate}, and lineage must not depend on
// the day it was computed.
var SampleBizdate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Service computes and stores the lineage of task versions and builds the
// project graph.
type Service struct {
	store  meta.Store
	ls     meta.LineageStore
	leaves LeafSource
}

// NewService returns a lineage service on a store that implements
// meta.LineageStore.
func NewService(store meta.Store, ls meta.LineageStore) *Service {
	return &Service{store: store, ls: ls}
}

// Store is the lineage store (for update records).
func (s *Service) Store() meta.LineageStore { return s.ls }

// ForSpec computes the lineage of a task definition: a model is read as
// INSERT INTO target <its SELECT>, a script as its statements.
func ForSpec(spec *meta.TaskSpec, dialect string, proj *meta.Project) (*Result, error) {
	values := map[string]string{}
	if proj != nil {
		for k, v := range proj.Config.Params {
			values[k] = v
		}
	}
	for k, v := range spec.Params {
		values[k] = v
	}
	text, err := params.Render(spec.SQL, &params.Context{Bizdate: SampleBizdate, Task: spec.Name, Values: values})
	if err != nil {
		return nil, err
	}
	if spec.Type == meta.TaskSQLModel && spec.Target != "" {
		text = "INSERT INTO " + spec.Target + " " + text
	}
	return Analyze(dialect, text, Options{})
}

// DialectOf is the dialect of a task's engine: the kind of its data source,
// duckdb for the embedded warehouse.
func (s *Service) DialectOf(ctx context.Context, proj *meta.Project, spec *meta.TaskSpec) string {
	name := cmp.Or(spec.Engine, proj.DefaultEngine)
	if ds, err := s.store.GetDataSource(ctx, proj.ID, name); err == nil {
		switch ds.Kind {
		case "postgres", "mysql", "duckdb":
			return ds.Kind
		}
	}
	return "duckdb"
}

// Refresh computes and saves the lineage of every SQL task's current
// version that has none yet, so lineage follows each apply.
func (s *Service) Refresh(ctx context.Context, proj *meta.Project) error {
	tasks, err := s.store.ListTasks(ctx, &meta.ListTasksParams{ProjectID: proj.ID})
	if err != nil {
		return err
	}
	have, err := s.ls.ListTaskLineage(ctx, proj.ID)
	if err != nil {
		return err
	}
	done := map[int64]bool{}
	for _, l := range have {
		done[l.TaskID] = true
	}
	for _, t := range tasks {
		if t.Removed || done[t.ID] || (t.Type != meta.TaskSQLModel && t.Type != meta.TaskSQLScript) {
			continue
		}
		v, err := s.store.GetVersion(ctx, t.ID, t.CurrentVersion)
		if err != nil {
			return err
		}
		if err := s.put(ctx, proj, t, v); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) put(ctx context.Context, proj *meta.Project, t *meta.Task, v *meta.Version) error {
	dialect := s.DialectOf(ctx, proj, &v.Spec)
	l := &meta.TaskLineage{ProjectID: proj.ID, TaskID: t.ID, TaskName: t.Name, Version: v.Version, Dialect: dialect}
	res, err := ForSpec(&v.Spec, dialect, proj)
	var pe *ParseError
	switch {
	case errors.As(err, &pe) || (err != nil && !errors.Is(err, context.Canceled)):
		l.Error = err.Error()
	case err != nil:
		return err
	default:
		l.Sources, l.Targets = res.Sources, res.Targets
		for _, e := range res.Columns {
			l.Columns = append(l.Columns, meta.LineageEdge{Source: e.Source, Target: e.Target})
		}
	}
	return s.ls.PutTaskLineage(ctx, l)
}

// Graph refreshes a project's lineage and returns its graph.
func (s *Service) Graph(ctx context.Context, proj *meta.Project) (*Graph, []*meta.TaskLineage, error) {
	if err := s.Refresh(ctx, proj); err != nil {
		return nil, nil, err
	}
	ls, err := s.ls.ListTaskLineage(ctx, proj.ID)
	if err != nil {
		return nil, nil, err
	}
	g := NewGraph(ls)
	if s.leaves != nil {
		leaves, err := s.leaves(ctx, proj)
		if err != nil {
			return nil, nil, err
		}
		for _, l := range leaves {
			spec := &meta.TaskSpec{Engine: l.Engine}
			res, err := Analyze(s.DialectOf(ctx, proj, spec), l.SQL, Options{})
			if err != nil {
				continue // a leaf whose SQL does not parse has no edges
			}
			g.AddLeaf(Leaf{Node: l.Node, Kind: l.Kind, Sources: res.Sources})
		}
	}
	return g, ls, nil
}

// LeafSQL is a lineage leaf before analysis: its node, kind, engine and SQL.
type LeafSQL struct {
	Node, Kind, Engine, SQL string
}

// LeafSource lists a project's leaves (published data APIs).
type LeafSource func(ctx context.Context, proj *meta.Project) ([]LeafSQL, error)

// SetLeaves makes Graph place the leaves downstream of the tables they read.
func (s *Service) SetLeaves(f LeafSource) { s.leaves = f }
