package quality

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/params"
	"github.com/kilnhq/kiln/runner"
)

// Config tunes a Checker.
type Config struct {
	// SampleRows caps the offending rows kept with a result; default DefaultSampleRows.
	SampleRows int
}

// Checker runs a task's quality rules after its body succeeded; it is the
// runner's Checker.
type Checker struct {
	cfg   Config
	store meta.QualityStore
	bus   *events.Bus
	log   *slog.Logger
}

var _ runner.Checker = (*Checker)(nil)

// New returns a Checker that stores results in store and publishes breaches on bus (may be nil).
func New(cfg Config, store meta.QualityStore, bus *events.Bus, log *slog.Logger) *Checker {
	cfg.SampleRows = cmp.Or(cfg.SampleRows, DefaultSampleRows)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Checker{cfg: cfg, store: store, bus: bus, log: log}
}

// Rules are a task's rules: those in its spec, then those added through the API.
func (c *Checker) Rules(ctx context.Context, projectID int64, spec *meta.TaskSpec) ([]meta.QualityRule, error) {
	rules := append([]meta.QualityRule(nil), spec.Quality...)
	stored, err := c.store.ListQualityRules(ctx, projectID, spec.Name)
	if err != nil {
		return nil, err
	}
	for _, s := range stored {
		rules = append(rules, s.Rule)
	}
	return rules, nil
}

// Check runs the instance's rules, records every result, publishes a
// breach event, and returns an error naming every strong rule that breached
// or could not run.
func (c *Checker) Check(ctx context.Context, job *runner.Job, _ *runner.Outcome) error {
	rules, err := c.Rules(ctx, job.Instance.ProjectID, job.Spec)
	if err != nil {
		return fmt.Errorf("quality: load rules: %w", err)
	}
	if len(rules) == 0 {
		return nil
	}
	p, err := c.period(ctx, job)
	if err != nil {
		return fmt.Errorf("quality: %w", err)
	}
	job.Log.Printf("quality: running %d rule(s) on %s", len(rules), cmp.Or(p.Table, "custom queries"))
	results := c.Run(ctx, p, rules)
	return c.record(ctx, job, results)
}

func (c *Checker) record(ctx context.Context, job *runner.Job, results []*meta.QualityResult) error {
	var strong []string
	bad := false
	for _, r := range results {
		if err := c.store.AddQualityResult(ctx, r); err != nil {
			c.log.Warn("store quality result", "instance", job.Instance.ID, "rule", r.Rule, "err", err)
		}
		job.Log.Printf("quality: %s [%s, %s] %s: %s (threshold %s)", r.Rule, r.Check, r.Severity, strings.ToUpper(string(r.Verdict)), r.Message, cmp.Or(r.Threshold, "-"))
		if r.Verdict == meta.VerdictBreach || r.Verdict == meta.VerdictError {
			bad = true
			if r.Severity == meta.SeverityStrong {
				strong = append(strong, fmt.Sprintf("%s %s: %s", r.Rule, verdictWord(r.Verdict), r.Message))
			}
		}
	}
	if bad {
		c.bus.Publish(events.Event{Kind: events.QualityBreached, Instance: *job.Instance})
	}
	if len(strong) > 0 {
		return errors.New("quality: strong rule " + strings.Join(strong, "; strong rule "))
	}
	return nil
}

func verdictWord(v meta.Verdict) string {
	if v == meta.VerdictError {
		return "could not run"
	}
	return "breached"
}

// period works out what the job's rules measure: the task's target and,
// for partitioned and appended targets, the period's rows.
func (c *Checker) period(ctx context.Context, job *runner.Job) (*Period, error) {
	spec := job.Spec
	name := cmp.Or(spec.Engine, job.Project.DefaultEngine)
	if name == "" {
		return nil, errors.New("the task names no engine and the project has no default engine")
	}
	eng, err := job.Engines.Engine(ctx, job.Instance.ProjectID, name)
	if err != nil {
		return nil, fmt.Errorf("engine %s: %w", name, err)
	}
	render := func(s string) (string, error) { return params.Render(s, job.Params) }
	p := &Period{
		ProjectID: job.Instance.ProjectID, Task: spec.Name, InstanceID: job.Instance.ID, Bizdate: job.Instance.Bizdate,
		Engine: eng, Engines: job.Engines, Render: render,
	}
	if spec.Target != "" {
		if p.Table, err = render(spec.Target); err != nil {
			return nil, fmt.Errorf("target: %w", err)
		}
	}
	d := dialect(eng.Dialect())
	value, err := render(cmp.Or(spec.PartitionValue, "${bizdate}"))
	if err != nil {
		return nil, fmt.Errorf("partition_value: %w", err)
	}
	switch spec.WriteMode {
	case meta.WriteOverwritePartition:
		p.Where = d.ident(spec.PartitionColumn) + " = " + d.str(value)
	case meta.WriteAppend:
		p.Where = d.ident(engine.AppendPeriodColumn) + " = " + d.str(value)
	}
	return p, nil
}
