package lineage_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
)

// olSchemas compiles the official OpenLineage schemas copied in testdata.
func olSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	ids := map[string]string{
		"OpenLineage.json":               "https://openlineage.io/spec/2-0-2/OpenLineage.json",
		"SQLJobFacet.json":               "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json",
		"SchemaDatasetFacet.json":        "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json",
		"ColumnLineageDatasetFacet.json": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json",
	}
	for file, id := range ids {
		f, err := os.Open(filepath.Join("testdata", "openlineage", file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for name, url := range map[string]string{"event": lineage.OLRunEventSchema, "sql": lineage.OLSQLFacetSchema,
		"schema": lineage.OLSchemaFacetSchema, "columnLineage": lineage.OLColumnFacetSchema} {
		s, err := c.Compile(url)
		if err != nil {
			t.Fatalf("compile %s: %v", url, err)
		}
		out[name] = s
	}
	return out
}

func validate(t *testing.T, s *jsonschema.Schema, what string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("%s does not validate: %v\n%s", what, err, b)
	}
}

// The official examples of the column-lineage facet pass the compiled schema:
// the validation below is not vacuous.
func TestOLSchemas_examples(t *testing.T) {
	s := olSchemas(t)
	files, _ := filepath.Glob("testdata/openlineage/examples/*.json")
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ex struct {
			Outputs []struct {
				Facets map[string]any `json:"facets"`
			} `json:"outputs"`
		}
		if err := json.Unmarshal(b, &ex); err != nil {
			t.Fatal(err)
		}
		for _, o := range ex.Outputs {
			if fc, ok := o.Facets["columnLineage"]; ok {
				validate(t, s["columnLineage"], f, fc)
			}
		}
	}
	// A facet without its required fields must fail.
	b, _ := json.Marshal(map[string]any{"_producer": "x", "_schemaURL": "y"})
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if s["columnLineage"].Validate(inst) == nil {
		t.Error("a column-lineage facet without fields validates")
	}
}

func TestOLEmitter(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	store, err := sqlitemeta.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	p, err := store.CreateProject(ctx, &meta.CreateProjectParams{Name: "edu"})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.ReplaceCatalogTables(ctx, p.ID, "warehouse", []*meta.CatalogTable{{Engine: "warehouse", Schema: "dw", Name: "orders",
		Columns: []meta.CatalogColumn{{Name: "id", Type: "BIGINT"}, {Name: "total", Type: "DOUBLE"}}}}); err != nil {
		t.Fatal(err)
	}
	task, v, err := store.CreateTask(ctx, &meta.CreateTaskParams{ProjectID: p.ID, Hash: "h", Spec: meta.TaskSpec{Name: "orders", Type: meta.TaskSQLModel,
		Target: "dw.orders", SQL: "SELECT o.id, o.price * o.qty AS total FROM ods.orders o JOIN ods.users u ON u.id = o.user_id WHERE dt = '${bizdate}'"}})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := store.CreateInstance(ctx, &meta.CreateInstanceParams{ProjectID: p.ID, TaskID: task.ID, VersionID: v.ID, Bizdate: "2024-01-01", Trigger: meta.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var posted [][]byte
	got := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posted = append(posted, b)
		mu.Unlock()
		got <- struct{}{}
	}))
	defer srv.Close()
	file := filepath.Join(dir, "ol.jsonl")
	svc := lineage.NewService(store, store)
	em, err := lineage.NewOLEmitter(lineage.OLConfig{URL: srv.URL, File: file}, svc, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	bus := events.New()
	if err := em.Start(ctx, bus); err != nil {
		t.Fatal(err)
	}
	defer em.Stop()
	run := *inst
	run.Attempt, run.State = 1, meta.StateRunning
	bus.Publish(events.Event{Kind: events.InstanceStarted, Instance: run})
	bus.Publish(events.Event{Kind: events.InstanceQueued, Instance: run}) // not a run transition: no event
	run.State = meta.StateSuccess
	bus.Publish(events.Event{Kind: events.InstanceFinished, Instance: run})
	for range 2 {
		select {
		case <-got:
		case <-time.After(20 * time.Second):
			t.Fatal("no event posted")
		}
	}
	s := olSchemas(t)
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []lineage.OLEvent
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var raw any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatal(err)
		}
		validate(t, s["event"], "run event", raw)
		var e lineage.OLEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	if len(evs) != 2 || evs[0].EventType != "START" || evs[1].EventType != "COMPLETE" || evs[0].Run.RunID != evs[1].Run.RunID {
		t.Fatalf("events = %+v", evs)
	}
	mu.Lock()
	if len(posted) != 2 {
		t.Errorf("posted %d events, want 2", len(posted))
	}
	mu.Unlock()
	e := evs[1]
	validate(t, s["sql"], "sql facet", e.Job.Facets["sql"])
	if len(e.Inputs) != 2 || e.Inputs[0].Name != "ods.orders" || len(e.Outputs) != 1 || e.Outputs[0].Name != "dw.orders" {
		t.Fatalf("datasets: in %+v out %+v", e.Inputs, e.Outputs)
	}
	validate(t, s["schema"], "schema facet", e.Outputs[0].Facets["schema"])
	validate(t, s["columnLineage"], "column-lineage facet", e.Outputs[0].Facets["columnLineage"])
	b, _ := json.Marshal(e.Outputs[0].Facets)
	want := []string{`"name":"total","type":"DOUBLE"`, `"total":{"inputFields":[{"field":"price","name":"ods.orders"`, `"field":"qty"`}
	for _, w := range want {
		if !bytes.Contains(b, []byte(w)) {
			t.Errorf("output facets lack %s:\n%s", w, b)
		}
	}
}

func TestNewOLEmitter_badURL(t *testing.T) {
	if _, err := lineage.NewOLEmitter(lineage.OLConfig{URL: "ftp://x"}, nil, nil, nil); err == nil {
		t.Error("an ftp URL is accepted")
	}
}
