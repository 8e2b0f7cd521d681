package dataapi_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/dataapi"
	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/engine/duckdb"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
	"github.com/kilnhq/kiln/secret"
)

type oneEngine struct{ e engine.Engine }

func (o oneEngine) Engine(context.Context, int64, string) (engine.Engine, error) { return o.e, nil }

type fixture struct {
	svc     *dataapi.Service
	project *meta.Project
	eng     engine.Engine
	srv     *httptest.Server
}

func setup(t *testing.T) *fixture {
	t.Helper()
	store, err := sqlitemeta.Open(t.Context(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	p, err := store.CreateProject(t.Context(), &meta.CreateProjectParams{Name: "edu", DefaultEngine: "warehouse"})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := duckdb.Open("warehouse", filepath.Join(t.TempDir(), "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	for _, s := range []string{
		"CREATE TABLE users (id INTEGER, name VARCHAR, city VARCHAR, vip BOOLEAN, score DOUBLE, joined DATE)",
		"INSERT INTO users SELECT i, 'user' || i, CASE WHEN i % 2 = 0 THEN 'beijing' ELSE 'shanghai' END, i % 5 = 0, i * 1.5, DATE '2024-01-01' + i::INTEGER FROM range(1, 101) t(i)",
		"CREATE SEQUENCE seq",
	} {
		if _, err := eng.Exec(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	box, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := dataapi.New(dataapi.Config{}, store, store, oneEngine{eng}, box, slog.New(slog.DiscardHandler))
	if err := svc.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /data/v1/{project}/{path...}", svc.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &fixture{svc: svc, project: p, eng: eng, srv: srv}
}

func ptr(f float64) *float64 { return &f }

var usersSpec = dataapi.Spec{
	Path: "users/search",
	SQL: `SELECT id, name, city, vip, score, joined FROM users WHERE 1 = 1
  [[ AND city = :city ]] [[ AND id IN (:ids) ]] [[ AND vip = :vip ]] [[ AND score >= :min_score ]]
  [[ AND joined >= :since ]] [[ AND name = :name ]] AND id <= :max_id`,
	Params: []dataapi.Param{
		{Name: "city", Type: "string", Enum: []string{"beijing", "shanghai"}},
		{Name: "ids", Type: "list", ItemType: "int"},
		{Name: "vip", Type: "bool"},
		{Name: "min_score", Type: "float", Min: ptr(0)},
		{Name: "since", Type: "date"},
		{Name: "name", Type: "string"},
		{Name: "max_id", Type: "int", Default: "1000", Min: ptr(1), Max: ptr(100000)},
	},
	OrderBy: "id", MaxPageSize: 20, CacheTTL: "1m",
}

func (f *fixture) get(t *testing.T, token, query string, hdr map[string]string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.srv.URL+"/data/v1/edu/users/search?"+query, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return resp.StatusCode, body, resp.Header
}

func TestDataAPI_callsAndBadInput(t *testing.T) {
	f := setup(t)
	spec := usersSpec
	api, err := f.svc.Publish(t.Context(), f.project, &spec, "alice")
	if err != nil {
		t.Fatal(err)
	}
	app, err := f.svc.CreateApp(t.Context(), &dataapi.CreateAppParams{ProjectID: f.project.ID, Name: "crm", APIs: []int64{api.ID}})
	if err != nil {
		t.Fatal(err)
	}
	code, body, _ := f.get(t, app.Token, "city=beijing&page=2&page_size=5&total=true", nil)
	data, _ := body["data"].([]any)
	if code != 200 || len(data) != 5 || body["total"] != float64(50) || data[0].(map[string]any)["id"] != float64(12) {
		t.Fatalf("page 2 of beijing: %d %v", code, body)
	}
	code, body, _ = f.get(t, app.Token, "ids=3,4&ids=5&vip=true&since=2024-01-02", nil)
	if data, _ := body["data"].([]any); code != 200 || len(data) != 1 || data[0].(map[string]any)["joined"] != "2024-01-06" {
		t.Fatalf("list+bool+date: %d %v", code, body)
	}
	injections := []string{
		"name=" + url.QueryEscape("x' OR '1'='1"),
		"city=" + url.QueryEscape("beijing' OR 1=1 --"),
		"ids=" + url.QueryEscape("1) OR (1=1"),
		"vip=" + url.QueryEscape("true OR 1=1"),
		"min_score=" + url.QueryEscape("0 OR 1=1"),
		"since=" + url.QueryEscape("2024-01-01' OR '1'='1"),
		"max_id=" + url.QueryEscape("1; DROP TABLE users"),
	}
	for _, q := range injections {
		code, body, _ := f.get(t, app.Token, q, nil)
		data, _ := body["data"].([]any)
		if code == 200 && len(data) != 0 {
			t.Errorf("%s: got %d rows, want none or a 400", q, len(data))
		}
		if code != 200 && code != 400 {
			t.Errorf("%s: status %d %v", q, code, body)
		}
	}
	for q, want := range map[string]string{
		"min_score=abc": "must be a number", "max_id=0": "at least 1", "city=paris": "must be one of",
		"nope=1": "unknown parameter", "page_size=21": "page_size must be between 1 and 20", "page=0": "page must be",
		"vip=maybe": "true or false", "since=2024-13-01": "must be a date", "ids=1,x": "whole number",
	} {
		code, body, _ := f.get(t, app.Token, q, nil)
		msg, _ := body["error"].(map[string]any)["message"].(string)
		if code != 400 || !strings.Contains(msg, want) {
			t.Errorf("%s: %d %q, want 400 with %q", q, code, msg, want)
		}
	}
	var n int64
	rows, _ := f.eng.Query(t.Context(), "SELECT count(*) FROM users")
	for rows.Next() {
		v, _ := rows.Values()
		n = v[0].(int64)
	}
	rows.Close()
	if n != 100 {
		t.Errorf("users has %d rows after the injection attempts, want 100", n)
	}
	if code, _, _ := f.get(t, "", "", nil); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, _, _ := f.get(t, "kiln_wrong", "", nil); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	past := time.Now().Add(-time.Minute)
	old, err := f.svc.CreateApp(t.Context(), &dataapi.CreateAppParams{ProjectID: f.project.ID, Name: "old", APIs: []int64{api.ID}, ExpiresAt: &past})
	if err != nil {
		t.Fatal(err)
	}
	if code, body, _ := f.get(t, old.Token, "", nil); code != 401 || body["error"].(map[string]any)["code"] != "token_expired" {
		t.Errorf("expired token: %d %v", code, body)
	}
	other, _ := f.svc.CreateApp(t.Context(), &dataapi.CreateAppParams{ProjectID: f.project.ID, Name: "ungranted"})
	if code, _, _ := f.get(t, other.Token, "", nil); code != 403 {
		t.Errorf("app without a grant: %d", code)
	}
	m, err := f.svc.Metrics(t.Context(), api.ID, 0, time.Hour)
	if err != nil || m.Calls < 10 || m.ErrorRate == 0 || m.Rows < 6 {
		t.Errorf("metrics = %+v %v", m, err)
	}
}

func TestDataAPI_publishRefusesWrites(t *testing.T) {
	f := setup(t)
	for sql, want := range map[string]string{
		"DELETE FROM users":                     "SELECT",
		"SELECT 1 AS id; DROP TABLE users":      "one statement",
		"SELECT nextval('seq') AS id":           "nextval",
		"INSERT INTO users (id) VALUES (1)":     "SELECT",
		"SELECT * FROM read_csv('/etc/passwd')": "read_csv",
		"SELECT id FROM users WHERE id = :x":    "not a declared parameter",
		"SELECT id FROM users [[ WHERE 1=1 ]]":  "must use a parameter",
	} {
		spec := dataapi.Spec{Path: "bad", SQL: sql, OrderBy: "id"}
		_, err := f.svc.Publish(t.Context(), f.project, &spec, "alice")
		if !errors.Is(err, dataapi.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("publish %q: %v, want ErrInvalid mentioning %q", sql, err, want)
		}
	}
	spec := dataapi.Spec{Path: "ok", SQL: "SELECT id FROM users", OrderBy: "nope"}
	if _, err := f.svc.Publish(t.Context(), f.project, &spec, "a"); err == nil || !strings.Contains(err.Error(), "not a column") {
		t.Errorf("order by a missing column: %v", err)
	}
}

func TestDataAPI_signingRateVersions(t *testing.T) {
	f := setup(t)
	spec := usersSpec
	spec.RateLimit = 2
	spec.CacheTTL = ""
	api, err := f.svc.Publish(t.Context(), f.project, &spec, "alice")
	if err != nil {
		t.Fatal(err)
	}
	app, err := f.svc.CreateApp(t.Context(), &dataapi.CreateAppParams{ProjectID: f.project.ID, Name: "signed", APIs: []int64{api.ID}, Sign: true})
	if err != nil {
		t.Fatal(err)
	}
	signed := func(q, nonce string, skew time.Duration) map[string]string {
		ts := strconv.FormatInt(time.Now().Add(skew).Unix(), 10)
		vals, _ := url.ParseQuery(q)
		sig := dataapi.Sign(app.Secret, "/data/v1/edu/users/search", vals, ts, nonce)
		return map[string]string{"X-Kiln-Timestamp": ts, "X-Kiln-Nonce": nonce, "X-Kiln-Signature": hex.EncodeToString(sig)}
	}
	if code, _, _ := f.get(t, app.Token, "city=beijing", signed("city=beijing", "n1", 0)); code != 200 {
		t.Fatalf("signed call: %d", code)
	}
	cases := []struct {
		name string
		hdr  map[string]string
		code string
	}{
		{"unsigned", nil, "signature_required"},
		{"replayed", signed("city=beijing", "n1", 0), "replayed"},
		{"tampered", signed("city=shanghai", "n2", 0), "bad_signature"},
		{"stale", signed("city=beijing", "n3", -time.Hour), "bad_timestamp"},
	}
	for _, c := range cases {
		code, body, _ := f.get(t, app.Token, "city=beijing", c.hdr)
		if got := body["error"].(map[string]any)["code"]; code != 401 || got != c.code {
			t.Errorf("%s: %d %v, want 401 %s", c.name, code, got, c.code)
		}
	}
	// The API allows 2 requests a second with a burst of 2: hammering gets a 429.
	limited := false
	for i := 0; i < 10 && !limited; i++ {
		code, _, hdr := f.get(t, app.Token, "city=beijing", signed("city=beijing", "r"+strconv.Itoa(i), 0))
		if code == 429 {
			limited = hdr.Get("Retry-After") != ""
		}
	}
	if !limited {
		t.Error("no 429 with Retry-After from an API limited to 2 requests/s")
	}
	spec2 := usersSpec
	spec2.SQL = strings.Replace(spec2.SQL, "SELECT id, name", "SELECT id, upper(name) AS name", 1)
	v2, err := f.svc.Publish(t.Context(), f.project, &spec2, "bob")
	if err != nil || v2.Version != 2 {
		t.Fatalf("second publish: %+v %v", v2, err)
	}
	one, off := 1, false
	if back, err := f.svc.SetState(t.Context(), &meta.SetDataAPIStateParams{ID: api.ID, Version: &one}); err != nil || back.Version != 1 {
		t.Fatalf("rollback: %+v %v", back, err)
	}
	if _, err := f.svc.SetState(t.Context(), &meta.SetDataAPIStateParams{ID: api.ID, Online: &off}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := f.get(t, app.Token, "", signed("", "off", 0)); code != 503 {
		t.Errorf("offline API: %d, want 503", code)
	}
}
