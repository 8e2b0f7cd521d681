package lineage

import (
	"context"
	"log/slog"

	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/meta"
)

// Record confirms lineage at run time: for each instance that succeeds, it
// parses the SQL exactly as it ran (the instance's rendered text) and
// records a write of every table that SQL writes, which the data map shows
// as the table's update records. It returns when ctx ends.
func (s *Service) Record(ctx context.Context, bus *events.Bus, log *slog.Logger) {
	sub := bus.Subscribe(256)
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-sub.C:
			if ev.Kind != events.InstanceFinished || ev.Instance.State != meta.StateSuccess {
				continue
			}
			if err := s.recordInstance(ctx, &ev.Instance); err != nil && ctx.Err() == nil {
				log.Warn("lineage: record instance writes", "instance", ev.Instance.ID, "err", err)
			}
		}
	}
}

func (s *Service) recordInstance(ctx context.Context, inst *meta.Instance) error {
	v, err := s.store.GetVersionByID(ctx, inst.VersionID)
	if err != nil {
		return err
	}
	spec := v.Spec
	if spec.Type != meta.TaskSQLModel && spec.Type != meta.TaskSQLScript {
		return nil
	}
	proj, err := s.store.GetProjectByID(ctx, inst.ProjectID)
	if err != nil {
		return err
	}
	if inst.Rendered != "" {
		spec.SQL, spec.Params = inst.Rendered, nil
	}
	res, err := ForSpec(&spec, s.DialectOf(ctx, proj, &spec), proj)
	if err != nil {
		return err
	}
	var dur int64
	if inst.StartedAt != nil && inst.EndedAt != nil {
		dur = inst.EndedAt.Sub(*inst.StartedAt).Milliseconds()
	}
	for _, t := range res.Targets {
		w := &meta.TableWrite{ProjectID: inst.ProjectID, Table: t, InstanceID: inst.ID, TaskName: inst.TaskName,
			Bizdate: inst.Bizdate, Rows: inst.RowsWritten, DurationMS: dur}
		if err := s.ls.AddTableWrite(ctx, w); err != nil {
			return err
		}
	}
	return nil
}
