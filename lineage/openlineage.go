package lineage

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/meta"
)

// The OpenLineage schema versions Kiln's events follow (the copies in
// testdata/openlineage validate them in tests).
const (
	OLRunEventSchema     = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
	OLSQLFacetSchema     = "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet"
	OLSchemaFacetSchema  = "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
	OLColumnFacetSchema  = "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet"
	DefaultOLProducer    = "https://github.com/kilnhq/kiln"
	defaultOLPostTimeout = 10 * time.Second
)

// OLConfig says where OpenLineage events go; with neither URL nor File set
// no events are emitted.
type OLConfig struct {
	// URL receives a POST of each event (an OpenLineage HTTP endpoint such
	// as Marquez's /api/v1/lineage).
	URL string
	// File gets each event appended as one JSON line.
	File string
	// Producer is the producer URI in every event; default DefaultOLProducer.
	Producer string
	// Client posts to URL; default an http.Client with a 10 s timeout.
	Client *http.Client
}

// OLEvent is an OpenLineage run event.
type OLEvent struct {
	EventType string      `json:"eventType"`
	EventTime string      `json:"eventTime"`
	Producer  string      `json:"producer"`
	SchemaURL string      `json:"schemaURL"`
	Run       OLRun       `json:"run"`
	Job       OLJob       `json:"job"`
	Inputs    []OLDataset `json:"inputs"`
	Outputs   []OLDataset `json:"outputs"`
}

// OLRun is the run of an event: one attempt of an instance.
type OLRun struct {
	RunID string `json:"runId"`
}

// OLJob is the task of an event.
type OLJob struct {
	Namespace string         `json:"namespace"`
	Name      string         `json:"name"`
	Facets    map[string]any `json:"facets,omitempty"`
}

// OLDataset is a table read or written.
type OLDataset struct {
	Namespace string         `json:"namespace"`
	Name      string         `json:"name"`
	Facets    map[string]any `json:"facets,omitempty"`
}

// OLEmitter turns instance events into OpenLineage run events: START when
// an attempt starts, then COMPLETE, FAIL (failed, or retried) or ABORT
// (killed), with the task version's input and output tables, the SQL job
// facet, and on outputs the schema and column-lineage facets.
type OLEmitter struct {
	cfg     OLConfig
	svc     *Service
	cs      meta.CatalogStore // column types for the schema facet; may be nil
	log     *slog.Logger
	mu      sync.Mutex // one write to File at a time
	cancel  context.CancelFunc
	done    chan struct{}
	enabled bool
}

// NewOLEmitter returns an emitter; cs may be nil.
func NewOLEmitter(cfg OLConfig, svc *Service, cs meta.CatalogStore, log *slog.Logger) (*OLEmitter, error) {
	if cfg.URL != "" && !strings.HasPrefix(cfg.URL, "http://") && !strings.HasPrefix(cfg.URL, "https://") {
		return nil, fmt.Errorf("openlineage url %q: want http:// or https://", cfg.URL)
	}
	if cfg.Producer == "" {
		cfg.Producer = DefaultOLProducer
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: defaultOLPostTimeout}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &OLEmitter{cfg: cfg, svc: svc, cs: cs, log: log, enabled: cfg.URL != "" || cfg.File != ""}, nil
}

// Start emits an event for each instance event on bus until Stop.
func (o *OLEmitter) Start(ctx context.Context, bus *events.Bus) error {
	if !o.enabled {
		return nil
	}
	ctx, o.cancel = context.WithCancel(ctx)
	o.done = make(chan struct{})
	sub := bus.Subscribe(256)
	go func() {
		defer close(o.done)
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-sub.C:
				e, err := o.Event(ctx, ev)
				if err == nil && e != nil {
					err = o.send(ctx, e)
				}
				if err != nil && ctx.Err() == nil {
					o.log.Warn("openlineage: emit", "instance", ev.Instance.ID, "err", err)
				}
			}
		}
	}()
	return nil
}

// Stop ends the emitter.
func (o *OLEmitter) Stop() {
	if o.cancel != nil {
		o.cancel()
		<-o.done
	}
}

// eventType maps an instance event to an OpenLineage event type; "" for
// events that are not run transitions.
func eventType(ev events.Event) string {
	switch ev.Kind {
	case events.InstanceStarted:
		return "START"
	case events.InstanceRetried:
		return "FAIL"
	case events.InstanceFinished:
		switch ev.Instance.State {
		case meta.StateSuccess:
			return "COMPLETE"
		case meta.StateKilled:
			return "ABORT"
		}
		return "FAIL"
	}
	return ""
}

// Event builds the OpenLineage event of an instance event, nil when there
// is none to send (not a run transition, or not a SQL task).
func (o *OLEmitter) Event(ctx context.Context, ev events.Event) (*OLEvent, error) {
	typ := eventType(ev)
	if typ == "" {
		return nil, nil
	}
	inst := &ev.Instance
	v, err := o.svc.store.GetVersionByID(ctx, inst.VersionID)
	if err != nil {
		return nil, err
	}
	spec := v.Spec
	if spec.Type != meta.TaskSQLModel && spec.Type != meta.TaskSQLScript {
		return nil, nil
	}
	proj, err := o.svc.store.GetProjectByID(ctx, inst.ProjectID)
	if err != nil {
		return nil, err
	}
	dialect := o.svc.DialectOf(ctx, proj, &spec)
	engineName := spec.Engine
	if engineName == "" {
		engineName = proj.DefaultEngine
	}
	ns := dialect + "://" + proj.Name + "/" + engineName
	e := &OLEvent{EventType: typ, EventTime: time.Now().UTC().Format(time.RFC3339Nano), Producer: o.cfg.Producer,
		SchemaURL: OLRunEventSchema, Run: OLRun{RunID: runID(proj.Name, inst.ID, inst.Attempt)},
		Job: OLJob{Namespace: "kiln://" + proj.Name, Name: inst.TaskName}, Inputs: []OLDataset{}, Outputs: []OLDataset{}}
	sql := spec.SQL
	if inst.Rendered != "" {
		sql, spec.SQL, spec.Params = inst.Rendered, inst.Rendered, nil
	}
	e.Job.Facets = map[string]any{"sql": map[string]any{"_producer": o.cfg.Producer, "_schemaURL": OLSQLFacetSchema, "query": sql, "dialect": dialect}}
	res, err := ForSpec(&spec, dialect, proj)
	if err != nil {
		return e, nil // the run still happened; its tables are unknown
	}
	for _, t := range res.Sources {
		e.Inputs = append(e.Inputs, OLDataset{Namespace: ns, Name: t})
	}
	var catalog []*meta.CatalogTable
	if o.cs != nil {
		catalog, _ = o.cs.ListCatalogTables(ctx, proj.ID)
	}
	for _, t := range res.Targets {
		e.Outputs = append(e.Outputs, OLDataset{Namespace: ns, Name: t, Facets: outputFacets(o.cfg.Producer, ns, t, res, catalog)})
	}
	return e, nil
}

// outputFacets are the schema and column-lineage facets of an output table.
func outputFacets(producer, ns, table string, res *Result, catalog []*meta.CatalogTable) map[string]any {
	types := map[string]string{}
	for _, ct := range catalog {
		if strings.EqualFold(ct.FullName(), table) || (!strings.Contains(table, ".") && strings.EqualFold(ct.Name, table)) {
			for _, c := range ct.Columns {
				types[strings.ToLower(c.Name)] = c.Type
			}
		}
	}
	fields := []map[string]any{}
	colFields := map[string]any{}
	var order []string
	inputs := map[string][]map[string]any{}
	for _, edge := range res.Columns {
		col, ok := strings.CutPrefix(edge.Target, table+".")
		if !ok {
			continue
		}
		if _, seen := inputs[col]; !seen {
			order = append(order, col)
			inputs[col] = []map[string]any{}
		}
		i := strings.LastIndex(edge.Source, ".")
		if i < 0 || strings.HasPrefix(edge.Source, "?.") {
			continue // unresolved: no dataset to name
		}
		inputs[col] = append(inputs[col], map[string]any{"namespace": ns, "name": edge.Source[:i], "field": edge.Source[i+1:],
			"transformations": []map[string]any{{"type": "DIRECT"}}})
	}
	for _, col := range order {
		f := map[string]any{"name": col}
		if typ := types[col]; typ != "" {
			f["type"] = typ
		}
		fields = append(fields, f)
		colFields[col] = map[string]any{"inputFields": inputs[col]}
	}
	return map[string]any{
		"schema":        map[string]any{"_producer": producer, "_schemaURL": OLSchemaFacetSchema, "fields": fields},
		"columnLineage": map[string]any{"_producer": producer, "_schemaURL": OLColumnFacetSchema, "fields": colFields},
	}
}

// runID is a stable UUID (version 5 layout) of one attempt of an instance,
// so START and its end event share it.
func runID(project string, instance int64, attempt int) string {
	h := sha1.Sum(fmt.Appendf(nil, "kiln/%s/%d/%d", project, instance, attempt))
	h[6] = (h[6] & 0x0f) | 0x50
	h[8] = (h[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func (o *OLEmitter) send(ctx context.Context, e *OLEvent) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if o.cfg.File != "" {
		o.mu.Lock()
		err = appendLine(o.cfg.File, b)
		o.mu.Unlock()
		if err != nil {
			return err
		}
	}
	if o.cfg.URL == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.cfg.URL, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := o.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("openlineage endpoint %s answered %s", o.cfg.URL, resp.Status)
	}
	return nil
}

func appendLine(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
