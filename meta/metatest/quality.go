package metatest

import (
	"errors"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// qualityCases are the conformance cases of meta.QualityStore and meta.AlertStore.
var qualityCases = []testCase{
	{"QualityResults", qualityResults}, {"QualityRules", qualityRules}, {"AlertsAckSilence", alertsAckSilence},
}

func qualityStore(f *fixture) meta.QualityStore {
	qs, ok := f.s.(meta.QualityStore)
	if !ok {
		f.t.Fatalf("%T does not implement meta.QualityStore", f.s)
	}
	return qs
}

func qualityResults(f *fixture) {
	t, qs := f.t, qualityStore(f)
	p := f.project("q")
	metric := 0.25
	for i, day := range []string{"2024-03-01", "2024-03-03", "2024-03-02"} {
		r := &meta.QualityResult{ProjectID: p.ID, Task: "dwd", InstanceID: int64(i + 1), Bizdate: day, Table: "dwd.orders",
			Rule: "null_rate_amount", Check: meta.CheckNullRate, Column: "amount", Severity: meta.SeverityStrong,
			Metric: &metric, Threshold: "<= 0.1", Verdict: meta.VerdictBreach, Message: "too many NULLs",
			Sample: []map[string]string{{"id": "7"}}}
		must(t, qs.AddQualityResult(f.ctx, r))
		if r.ID == 0 || r.CreatedAt.IsZero() {
			t.Fatalf("AddQualityResult left ID or time unset: %+v", r)
		}
	}
	must(t, qs.AddQualityResult(f.ctx, &meta.QualityResult{ProjectID: p.ID, Bizdate: "2024-03-01", Table: "other",
		Rule: "rows", Check: meta.CheckRowCount, Severity: meta.SeverityWeak, Verdict: meta.VerdictError}))
	got, err := qs.ListQualityResults(f.ctx, &meta.ListQualityResultsParams{ProjectID: p.ID, Table: "dwd.orders"})
	must(t, err)
	if len(got) != 3 || got[0].Bizdate != "2024-03-03" || got[2].Bizdate != "2024-03-01" {
		t.Fatalf("listed %d results, want 3 newest period first: %+v", len(got), got)
	}
	r := got[0]
	if r.Metric == nil || *r.Metric != 0.25 || r.Threshold != "<= 0.1" || len(r.Sample) != 1 || r.Sample[0]["id"] != "7" || r.Verdict != meta.VerdictBreach {
		t.Errorf("result read back as %+v", r)
	}
	hist, err := qs.ListQualityResults(f.ctx, &meta.ListQualityResultsParams{ProjectID: p.ID, Task: "dwd", Rule: "null_rate_amount", BizdateBefore: "2024-03-03", Limit: 1})
	must(t, err)
	if len(hist) != 1 || hist[0].Bizdate != "2024-03-02" {
		t.Errorf("history before 2024-03-03 = %+v, want the 2024-03-02 result", hist)
	}
	other, err := qs.ListQualityResults(f.ctx, &meta.ListQualityResultsParams{ProjectID: p.ID, Table: "other"})
	must(t, err)
	if len(other) != 1 || other[0].Metric != nil || other[0].Sample != nil {
		t.Errorf("a result without metric or sample read back as %+v", other)
	}
}

func qualityRules(f *fixture) {
	t, qs := f.t, qualityStore(f)
	p := f.project("q")
	max := 0.1
	r := &meta.StoredQualityRule{ProjectID: p.ID, CreatedBy: "alice",
		Rule: meta.QualityRule{Task: "dwd", Name: "nulls", Check: meta.CheckNullRate, Column: "amount", Max: &max}}
	must(t, qs.AddQualityRule(f.ctx, r))
	must(t, qs.AddQualityRule(f.ctx, &meta.StoredQualityRule{ProjectID: p.ID, Rule: meta.QualityRule{Task: "ods", Check: meta.CheckRowCount}}))
	got, err := qs.ListQualityRules(f.ctx, p.ID, "dwd")
	must(t, err)
	if len(got) != 1 || got[0].Rule.Name != "nulls" || *got[0].Rule.Max != 0.1 || got[0].CreatedBy != "alice" {
		t.Fatalf("rules of dwd = %+v", got)
	}
	all, err := qs.ListQualityRules(f.ctx, p.ID, "")
	must(t, err)
	if len(all) != 2 {
		t.Errorf("listed %d rules, want 2", len(all))
	}
	max2 := 0.2
	changed := meta.QualityRule{Task: "dwd", Name: "nulls", Check: meta.CheckNullRate, Column: "amount", Max: &max2, Severity: meta.SeverityStrong}
	must(t, qs.UpdateQualityRule(f.ctx, p.ID, r.ID, &changed))
	got, err = qs.ListQualityRules(f.ctx, p.ID, "dwd")
	must(t, err)
	if len(got) != 1 || got[0].ID != r.ID || *got[0].Rule.Max != 0.2 || got[0].Rule.Severity != meta.SeverityStrong || got[0].CreatedBy != "alice" {
		t.Errorf("updated rules of dwd = %+v", got)
	}
	other := f.project("q2")
	wantErr(t, qs.UpdateQualityRule(f.ctx, other.ID, r.ID, &changed), meta.ErrNotFound, "quality rule")
	must(t, qs.DeleteQualityRule(f.ctx, p.ID, r.ID))
	wantErr(t, qs.DeleteQualityRule(f.ctx, p.ID, r.ID), meta.ErrNotFound, "quality rule")
	wantErr(t, qs.UpdateQualityRule(f.ctx, p.ID, r.ID, &changed), meta.ErrNotFound, "quality rule")
}

func alertsAckSilence(f *fixture) {
	t := f.t
	as, ok := f.s.(meta.AlertStore)
	if !ok {
		t.Fatalf("%T does not implement meta.AlertStore", f.s)
	}
	p := f.project("a")
	at := time.Date(2024, 3, 2, 1, 0, 0, 0, time.UTC)
	a := &meta.Alert{ProjectID: p.ID, Key: "failed/dwd/2024-03-01", Kind: "instance.failed", Task: "dwd", Bizdate: "2024-03-01",
		InstanceID: 9, Tier: meta.TierCore, Title: "dwd failed", Text: "boom", FirstAt: at}
	must(t, as.CreateAlert(f.ctx, a))
	must(t, as.TouchAlert(f.ctx, a.ID, at.Add(time.Minute), true))
	got, err := as.GetAlert(f.ctx, a.ID)
	must(t, err)
	if got.Count != 2 || !got.Escalated || got.State != meta.AlertOpen || !got.LastAt.Equal(at.Add(time.Minute)) || got.Tier != meta.TierCore {
		t.Errorf("touched alert = %+v", got)
	}
	open, err := as.ListAlerts(f.ctx, &meta.ListAlertsParams{ProjectID: p.ID, State: meta.AlertOpen, Key: a.Key})
	must(t, err)
	if len(open) != 1 {
		t.Errorf("open alerts = %d, want 1", len(open))
	}
	acked, err := as.AckAlert(f.ctx, p.ID, a.ID, "bob", at.Add(2*time.Minute))
	must(t, err)
	if acked.State != meta.AlertAcked || acked.AckedBy != "bob" || acked.AckedAt == nil {
		t.Errorf("acked alert = %+v", acked)
	}
	if _, err := as.AckAlert(f.ctx, p.ID+1, a.ID, "bob", at); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("ack in another project: err = %v, want not found", err)
	}
	s := &meta.Silence{ProjectID: p.ID, Task: "dwd", Until: at.Add(time.Hour), Reason: "maintenance", CreatedBy: "bob"}
	must(t, as.AddSilence(f.ctx, s))
	for _, c := range []struct {
		at   time.Time
		want int
	}{{at, 1}, {at.Add(2 * time.Hour), 0}} {
		xs, err := as.ListSilences(f.ctx, p.ID, c.at)
		must(t, err)
		if len(xs) != c.want {
			t.Errorf("silences at %v = %d, want %d", c.at, len(xs), c.want)
		}
	}
	must(t, as.DeleteSilence(f.ctx, p.ID, s.ID))
	wantErr(t, as.DeleteSilence(f.ctx, p.ID, s.ID), meta.ErrNotFound, "silence")
}
