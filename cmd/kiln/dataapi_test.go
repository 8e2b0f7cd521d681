package main

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/dataapi"
	"github.com/kilnhq/kiln/meta"
)

const usersAPI = `path: users/by-city
sql: |
  SELECT id, name, city FROM users
  WHERE city = :city [[ AND id >= :min_id ]] [[ AND name IN (:names) ]]
    [[ AND (:vip OR id > 0) ]] [[ AND DATE '2024-01-01' + id::INTEGER >= CAST(:since AS DATE) ]] [[ AND id * 1.0 >= :score ]]
order_by: id
max_page_size: 100
cache_ttl: 30s
params:
  - {name: city, type: int, required: true, min: 0, max: 9}
  - {name: min_id, type: int}
  - {name: names, type: list}
  - {name: vip, type: bool}
  - {name: since, type: date}
  - {name: score, type: float}
`

// get calls a data API with a token (and signing headers when given).
func get(t *testing.T, k *kiln, path, token string, hdr map[string]string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+k.addr+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for h, v := range hdr {
		req.Header.Set(h, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	_ = json.Unmarshal(b, &body)
	return resp.StatusCode, body, resp.Header
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func newApp(t *testing.T, k *kiln, args ...string) *dataapi.NewApp {
	t.Helper()
	var out dataapi.NewApp
	if err := json.Unmarshal([]byte(k.mustCLI(append([]string{"app", "create", "-p", "crm", "--json"}, args...)...)), &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestDataAPI_PublishCallVersionsApps(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	crmProject(t, k)
	spec := filepath.Join(t.TempDir(), "api.yaml")
	if err := os.WriteFile(spec, []byte(usersAPI), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := k.mustCLI("api", "publish", "-p", "crm", spec); !strings.Contains(out, "version 1") || !strings.Contains(out, "/data/v1/crm/users/by-city") {
		t.Fatalf("publish: %s", out)
	}
	app := newApp(t, k, "crm-app", "--api", "users/by-city")
	const base = "/data/v1/crm/users/by-city"

	code, body, _ := get(t, k, base+"?city=3&min_id=500&page_size=5&total=true", app.Token, nil)
	data, _ := body["data"].([]any)
	if code != 200 || len(data) != 5 || body["total"] != float64(50) || data[0].(map[string]any)["id"] != float64(503) {
		t.Fatalf("call: %d %v", code, body)
	}
	code, body, _ = get(t, k, base+"?city=3&names=user3,user13&names=user23&vip=false&since=2024-01-01&score=1.5", app.Token, nil)
	if data, _ = body["data"].([]any); code != 200 || len(data) != 3 {
		t.Fatalf("every type: %d %v", code, body)
	}

	// Bad input: injection through every type, wrong types, missing and
	// unknown parameters, oversized pages. All 400, and users unchanged.
	for _, q := range []string{
		"city=3;DROP TABLE users", "city=3 OR 1=1", "city=3&min_id=1)%20OR%20(1=1", "city=3&vip=true;DELETE FROM users",
		"city=3&since=2024-01-01'%20OR%20'1'='1", "city=3&score=1%20OR%201=1",
		"city=abc", "city=12", "min_id=1", "city=3&bogus=1", "city=3&page_size=101", "city=3&page=0", "city=3&city=4",
	} {
		code, body, _ = get(t, k, base+"?"+strings.NewReplacer(";", "%3B", " ", "%20", "'", "%27").Replace(q), app.Token, nil)
		if code != 400 || errCode(body) != "bad_parameter" {
			t.Fatalf("%s: %d %v", q, code, body)
		}
	}
	// A string parameter is a bind variable: an injection is just a value.
	code, body, _ = get(t, k, base+"?city=3&names=x')%20OR%20('1'%3D'1&names=1", app.Token, nil)
	if data, _ = body["data"].([]any); code != 200 || len(data) != 0 {
		t.Fatalf("list injection: %d %v", code, body)
	}
	k.mustCLI("api", "publish", "-p", "crm", writeSpec(t, `{"path":"users/by-name","sql":"SELECT id FROM users WHERE name = :name","order_by":"id","params":[{"name":"name","type":"string","required":true}]}`))
	k.mustCLI("app", "grant", "-p", "crm", "crm-app", "users/by-name")
	for _, v := range []string{"x' OR '1'='1", "user1'; DROP TABLE users; --", "user1"} {
		code, body, _ = get(t, k, "/data/v1/crm/users/by-name?name="+url.QueryEscape(v), app.Token, nil)
		data, _ = body["data"].([]any)
		if code != 200 || (v == "user1") != (len(data) == 1) || (v != "user1" && len(data) != 0) {
			t.Fatalf("name=%q: %d %v", v, code, body)
		}
	}
	if out := k.mustCLI("sql", "-p", "crm", "--format", "csv", "SELECT count(*) FROM users"); !strings.Contains(out, "1000") {
		t.Fatalf("users changed: %s", out)
	}

	// Only one read-only SELECT may be published: 400, nothing saved.
	for _, bad := range []string{
		`{"path":"x","sql":"DELETE FROM users","order_by":"id"}`,
		`{"path":"x","sql":"SELECT id FROM users; DELETE FROM users","order_by":"id"}`,
		`{"path":"x","sql":"SELECT nextval('s') AS id","order_by":"id"}`,
		`{"path":"x","sql":"SELECT * FROM read_csv('/etc/passwd') AS t(id)","order_by":"id"}`,
		`{"path":"x","sql":"SELECT id FROM users WHERE id = :nope","order_by":"id"}`,
	} {
		if r := k.cli("api", "publish", "-p", "crm", writeSpec(t, bad)); r.code != 1 || !strings.Contains(r.stderr, "error:") {
			t.Fatalf("publish %s: %+v", bad, r)
		}
	}
	if out := k.mustCLI("api", "list", "-p", "crm"); strings.Count(out, "\n") != 3 {
		t.Fatalf("list after refused publishes: %s", out)
	}

	// Versions, rollback, offline.
	v2 := strings.Replace(usersAPI, "SELECT id, name, city", "SELECT id, upper(name) AS name, city", 1)
	if out := k.mustCLI("api", "publish", "-p", "crm", writeSpec(t, v2)); !strings.Contains(out, "version 2") {
		t.Fatalf("v2: %s", out)
	}
	if _, body, _ = get(t, k, base+"?city=1&page_size=1", app.Token, nil); body["version"] != float64(2) || !strings.Contains(toJSON(body), "USER1") {
		t.Fatalf("v2 call: %v", body)
	}
	k.mustCLI("api", "rollback", "-p", "crm", "users/by-city", "1")
	if _, body, _ = get(t, k, base+"?city=1&page_size=1", app.Token, nil); body["version"] != float64(1) || !strings.Contains(toJSON(body), "user1") {
		t.Fatalf("rolled back call: %v", body)
	}
	if r := k.cli("api", "rollback", "-p", "crm", "users/by-city", "7"); r.code != 1 || !strings.Contains(r.stderr, "version 7") {
		t.Fatalf("rollback to a missing version: %+v", r)
	}
	if out := k.mustCLI("api", "show", "-p", "crm", "users/by-city"); !strings.Contains(out, "version 1") || !strings.Contains(out, "min_id") {
		t.Fatalf("show: %s", out)
	}
	k.mustCLI("api", "offline", "-p", "crm", "users/by-city")
	if code, body, _ = get(t, k, base+"?city=1", app.Token, nil); code != 503 || errCode(body) != "offline" {
		t.Fatalf("offline: %d %v", code, body)
	}
	k.mustCLI("api", "online", "-p", "crm", "users/by-city")

	// Tokens: unknown, not granted, expired, rotated.
	if code, _, _ = get(t, k, base+"?city=1", "kiln_nope", nil); code != 401 {
		t.Fatalf("unknown token: %d", code)
	}
	other := newApp(t, k, "other")
	if code, body, _ = get(t, k, base+"?city=1", other.Token, nil); code != 403 {
		t.Fatalf("not granted: %d %v", code, body)
	}
	short := newApp(t, k, "short", "--api", "users/by-city", "--expires-in", "1s")
	for deadline := time.Now().Add(10 * time.Second); ; {
		code, body, _ = get(t, k, base+"?city=1", short.Token, nil)
		if code == 401 && errCode(body) == "token_expired" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never expired: %d %v", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var rotated dataapi.NewApp
	_ = json.Unmarshal([]byte(k.mustCLI("app", "token", "-p", "crm", "--json", "short")), &rotated)
	if code, _, _ = get(t, k, base+"?city=1", rotated.Token, nil); code != 200 {
		t.Fatalf("rotated token: %d", code)
	}
	if code, _, _ = get(t, k, base+"?city=1", short.Token, nil); code != 401 {
		t.Fatalf("old token after rotation: %d", code)
	}

	// Signed app: a good signature passes once; bad or replayed ones fail.
	signed := newApp(t, k, "signed", "--api", "users/by-city", "--sign")
	q := url.Values{"city": {"2"}}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig := hex.EncodeToString(dataapi.Sign(signed.Secret, base, q, ts, "n-1"))
	hdr := map[string]string{"X-Kiln-Timestamp": ts, "X-Kiln-Nonce": "n-1", "X-Kiln-Signature": sig}
	if code, body, _ = get(t, k, base+"?"+q.Encode(), signed.Token, hdr); code != 200 {
		t.Fatalf("signed: %d %v", code, body)
	}
	if code, body, _ = get(t, k, base+"?"+q.Encode(), signed.Token, hdr); code != 401 || errCode(body) != "replayed" {
		t.Fatalf("replayed: %d %v", code, body)
	}
	hdr["X-Kiln-Nonce"] = "n-2"
	if code, body, _ = get(t, k, base+"?"+q.Encode(), signed.Token, hdr); code != 401 || errCode(body) != "bad_signature" {
		t.Fatalf("bad signature: %d %v", code, body)
	}
	if code, body, _ = get(t, k, base+"?"+q.Encode(), signed.Token, nil); code != 401 || errCode(body) != "signature_required" {
		t.Fatalf("unsigned: %d %v", code, body)
	}

	// Metrics and the call log see all of it.
	out := k.mustCLI("api", "metrics", "-p", "crm", "--json", "users/by-city")
	var m dataapi.Metrics
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.Calls < 20 || m.ErrorRate <= 0 || m.Rows == 0 || m.P95Ms < m.P50Ms {
		t.Fatalf("metrics: %v %+v", err, m)
	}
	out = k.mustCLI("api", "metrics", "-p", "crm", "--json", "--app", "signed", "users/by-city")
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.Calls != 4 || m.ErrorRate != 0.75 {
		t.Fatalf("app metrics: %v %+v", err, m)
	}
	if out = k.mustCLI("app", "list", "-p", "crm"); !strings.Contains(out, "signed") || !strings.Contains(out, "short") {
		t.Fatalf("app list: %s", out)
	}
	row, err := k.client().DataAPIByPath(t.Context(), "crm", "users/by-city")
	if err != nil {
		t.Fatal(err)
	}
	calls, err := k.client().DataAPICalls(t.Context(), "crm", row.ID, "1h", 1000)
	if err != nil || len(calls) < 20 || !hasStatus(calls, 503) || !hasStatus(calls, 400) {
		t.Fatalf("calls: %v %d", err, len(calls))
	}
	// A viewer may read APIs but not publish or create apps.
	vera := k.member(t, "vera", meta.RoleViewer)
	if r := k.cliAs(vera, "api", "publish", "-p", "crm", spec); r.code != 1 || !strings.Contains(r.stderr, "viewer") {
		t.Fatalf("viewer publish: %+v", r)
	}
	if r := k.cliAs(vera, "api", "list", "-p", "crm"); r.code != 0 {
		t.Fatalf("viewer list: %+v", r)
	}
}

func hasStatus(calls []*meta.DataAPICall, status int) bool {
	for _, c := range calls {
		if c.Status == status {
			return true
		}
	}
	return false
}

func writeSpec(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestDataAPI_InLineage puts a published data API downstream of the table
// it reads, so impact analysis lists it.
func TestDataAPI_InLineage(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	crmProject(t, k)
	k.mustCLI("api", "publish", "-p", "crm", writeSpec(t, `{"path":"users/by-name","sql":"SELECT id, name FROM users WHERE name = :name [[ AND id > :min_id ]]","order_by":"id","params":[{"name":"name","type":"string","required":true},{"name":"min_id","type":"int"}]}`))
	out := k.mustCLI("lineage", "impact", "-p", "crm", "users")
	if !strings.Contains(out, "api:/users/by-name") || !strings.Contains(out, "api") {
		t.Fatalf("impact of users lacks the data API:\n%s", out)
	}
	var g struct {
		APIs []string `json:"apis"`
	}
	if err := json.Unmarshal([]byte(k.mustCLI("lineage", "impact", "-p", "crm", "users", "--json")), &g); err != nil || len(g.APIs) != 1 {
		t.Fatalf("impact --json apis: %v %v", g.APIs, err)
	}
	k.mustCLI("api", "offline", "-p", "crm", "users/by-name")
	if out := k.mustCLI("lineage", "impact", "-p", "crm", "users"); strings.Contains(out, "api:/users/by-name") {
		t.Fatalf("an offline API still in lineage:\n%s", out)
	}
}
