package alert_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"github.com/kilnhq/kiln/alert"
	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func wait[T any](t *testing.T, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("nothing arrived within 10s")
	}
	var zero T
	return zero
}

func none[T any](t *testing.T, c <-chan T) {
	t.Helper()
	select {
	case v := <-c:
		t.Fatalf("unexpected delivery: %v", v)
	default:
	}
}

// request is what a receiver saw.
type request struct {
	query  map[string][]string
	header http.Header
	body   map[string]any
	raw    []byte
}

// receiver is a local webhook that answers with status codes from fail
// first, then 200 with reply.
func receiver(t *testing.T, reply string, fail ...int) (*httptest.Server, <-chan request) {
	c := make(chan request, 100)
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if len(fail) > 0 {
			w.WriteHeader(fail[0])
			fail = fail[1:]
			return
		}
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		c <- request{query: r.URL.Query(), header: r.Header, body: body, raw: raw}
		io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	return srv, c
}

type fixture struct {
	store *sqlitemeta.Store
	clock *clock
	n     *alert.Notifier
	proj  *meta.Project
	ver   *meta.Version
}

var start = time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC) // a Monday

func setup(t *testing.T, cfg *meta.AlertConfig, env map[string]string, spec meta.TaskSpec) *fixture {
	t.Helper()
	store, err := sqlitemeta.Open(t.Context(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	p, err := store.CreateProject(t.Context(), &meta.CreateProjectParams{Name: "edu", Config: meta.Config{Alerts: cfg}})
	if err != nil {
		t.Fatal(err)
	}
	spec.Type, spec.SQL = meta.TaskSQLScript, "SELECT 1"
	_, v, err := store.CreateTask(t.Context(), &meta.CreateTaskParams{ProjectID: p.ID, Spec: spec, Hash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: start}
	n := alert.New(alert.Config{BaseURL: "http://kiln.local", Backoff: time.Millisecond, Now: clk.Now, Tick: time.Hour,
		Env: func(k string) string { return env[k] }}, store, store, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); n.Stop() })
	return &fixture{store: store, clock: clk, n: n, proj: p, ver: v}
}

func (f *fixture) fail(t *testing.T, bizdate string) {
	t.Helper()
	err := f.n.Notify(t.Context(), &alert.Event{Kind: string(events.InstanceFailed), ProjectID: f.proj.ID, Task: f.ver.Spec.Name,
		VersionID: f.ver.ID, Bizdate: bizdate, InstanceID: 42, Attempt: 3, Error: "Binder Error: column amount not found\nLINE 1: SELECT amount\nmore\nmore"})
	if err != nil {
		t.Fatal(err)
	}
}

func TestChannels_PayloadsAndSignatures(t *testing.T) {
	t.Parallel()
	feishu, fc := receiver(t, `{"code":0}`)
	ding, dc := receiver(t, `{"errcode":0}`)
	wecom, wc := receiver(t, `{"errcode":0}`)
	slack, sc := receiver(t, `ok`)
	hook, hc := receiver(t, `{}`)
	cfg := &meta.AlertConfig{GroupWindow: -1, Channels: []meta.AlertChannel{
		{Name: "fs", Kind: "feishu", URL: feishu.URL, SecretEnv: "KILN_ALERT_FS_SECRET"},
		{Name: "dd", Kind: "dingtalk", URL: ding.URL + "/robot/send?access_token=abc", SecretEnv: "KILN_ALERT_DD_SECRET"},
		{Name: "wc", Kind: "wecom", URLEnv: "KILN_ALERT_WECOM_URL"},
		{Name: "sl", Kind: "slack", URL: slack.URL},
		{Name: "wh", Kind: "webhook", URL: hook.URL, SecretEnv: "KILN_ALERT_WH_SECRET"},
	}}
	env := map[string]string{"KILN_ALERT_FS_SECRET": "fs-secret", "KILN_ALERT_DD_SECRET": "dd-secret", "KILN_ALERT_WECOM_URL": wecom.URL, "KILN_ALERT_WH_SECRET": "wh-secret"}
	f := setup(t, cfg, env, meta.TaskSpec{Name: "dwd_orders", Owner: "alice", Tier: meta.TierCore})
	f.fail(t, "2024-03-03")
	f.n.Tick(t.Context())

	r := wait(t, fc)
	ts, _ := strconv.ParseInt(r.body["timestamp"].(string), 10, 64)
	if r.body["sign"] != alert.FeishuSign(ts, "fs-secret") || ts != start.Unix() || r.body["msg_type"] != "text" {
		t.Errorf("feishu payload %s", r.raw)
	}
	text := r.body["content"].(map[string]any)["text"].(string)
	for _, want := range []string{"dwd_orders 2024-03-03 FAILED", "owner alice", "tier core", "attempt 3", "column amount not found", "http://kiln.local/api/v1/instances/42", "@alice"} {
		if !strings.Contains(text, want) {
			t.Errorf("feishu text %q lacks %q", text, want)
		}
	}
	if strings.Contains(text, "more\nmore") {
		t.Errorf("feishu text keeps more than the error's first lines: %q", text)
	}

	r = wait(t, dc)
	ms, _ := strconv.ParseInt(r.query["timestamp"][0], 10, 64)
	if r.query["sign"][0] != alert.DingTalkSign(ms, "dd-secret") || ms != start.UnixMilli() || r.query["access_token"][0] != "abc" || r.body["msgtype"] != "markdown" {
		t.Errorf("dingtalk request %v %s", r.query, r.raw)
	}
	r = wait(t, wc)
	if r.body["msgtype"] != "markdown" || !strings.Contains(r.body["markdown"].(map[string]any)["content"].(string), "FAILED") {
		t.Errorf("wecom payload %s", r.raw)
	}
	r = wait(t, sc)
	if !strings.Contains(r.body["text"].(string), "*[Kiln edu] dwd_orders 2024-03-03 FAILED*") {
		t.Errorf("slack payload %s", r.raw)
	}
	r = wait(t, hc)
	mac := hmac.New(sha256.New, []byte("wh-secret"))
	mac.Write(r.raw)
	if r.header.Get("X-Kiln-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) || r.body["kind"] != "instance.failed" || r.body["link"] != "http://kiln.local/api/v1/instances/42" {
		t.Errorf("webhook request %v %s", r.header, r.raw)
	}
}

// TestSign checks both signatures against values computed independently
// (Python's hmac module) by the documented algorithms.
func TestSign(t *testing.T) {
	t.Parallel()
	if got := alert.DingTalkSign(1700000000000, "SECabc"); got != "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM=" {
		t.Errorf("DingTalkSign = %s", got)
	}
	if got := alert.FeishuSign(1700000000, "fs"); got != "KnO01LyLeUz2sHjT1ogyJOBrkgWI59ibq0SodIhTzOk=" {
		t.Errorf("FeishuSign = %s", got)
	}
}

type smtpBackend struct{ c chan string }

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{c: b.c}, nil }

type smtpSession struct {
	c        chan string
	from, to string
}

func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = to; return nil }
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.c <- "from " + s.from + " to " + s.to + "\n" + string(b)
	return err
}

func TestEmail(t *testing.T) {
	t.Parallel()
	got := make(chan string, 10)
	srv := smtp.NewServer(&smtpBackend{c: got})
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	cfg := &meta.AlertConfig{GroupWindow: -1, Channels: []meta.AlertChannel{{Name: "mail", Kind: "email", SMTP: ln.Addr().String(), From: "kiln@example.com", To: []string{"oncall@example.com"}}}}
	f := setup(t, cfg, nil, meta.TaskSpec{Name: "ads_revenue", Owner: "bob"})
	f.fail(t, "2024-03-03")
	f.n.Tick(t.Context())
	mail := wait(t, got)
	for _, want := range []string{"from kiln@example.com to oncall@example.com", "Subject: [Kiln edu] ads_revenue 2024-03-03 FAILED", "owner bob"} {
		if !strings.Contains(mail, want) {
			t.Errorf("mail %q lacks %q", mail, want)
		}
	}
}

func TestDelivery_RetriesWithBackoff(t *testing.T) {
	t.Parallel()
	hook, hc := receiver(t, `{}`, 500, 502, 503)
	cfg := &meta.AlertConfig{GroupWindow: -1, Channels: []meta.AlertChannel{{Name: "wh", Kind: "webhook", URL: hook.URL}}}
	f := setup(t, cfg, nil, meta.TaskSpec{Name: "a"})
	f.fail(t, "2024-03-03")
	f.n.Tick(t.Context()) // returns at once: delivery is in the background
	if r := wait(t, hc); r.body["title"] == nil {
		t.Errorf("retried delivery %s", r.raw)
	}
}

func TestRouting_DedupQuietEscalationRota(t *testing.T) {
	t.Parallel()
	core, cc := receiver(t, `{}`)
	other, oc := receiver(t, `{}`)
	cfg := &meta.AlertConfig{
		Channels: []meta.AlertChannel{{Name: "core", Kind: "webhook", URL: core.URL}, {Name: "other", Kind: "webhook", URL: other.URL}},
		Policies: []meta.AlertPolicy{{Tiers: []meta.Tier{meta.TierCore}, Channels: []string{"core"}, People: []string{"lead"}}},
		Default:  []string{"other"}, QuietHours: "22:00-08:00", Timezone: "UTC",
		DedupWindow: meta.Duration(time.Hour), GroupWindow: meta.Duration(time.Minute), EscalateAfter: meta.Duration(30 * time.Minute),
		Escalate: []string{"other"},
		Rota:     &meta.Rota{People: []string{"ann", "ben", "cat"}, Start: "2024-03-01", Handover: "09:00", Remind: "18:00"},
	}
	f := setup(t, cfg, nil, meta.TaskSpec{Name: "dwd_core", Owner: "alice", Tier: meta.TierCore})
	ctx := t.Context()

	// Monday 10:00: ann had 03-01, ben 03-02, cat 03-03, ann 03-04.
	if who, _ := alert.OnCall(cfg.Rota, start, time.UTC); who != "ann" {
		t.Errorf("on call = %s, want ann", who)
	}
	if who, _ := alert.OnCall(cfg.Rota, start.Add(-2*time.Hour), time.UTC); who != "cat" {
		t.Errorf("on call before hand-over = %s, want cat", who)
	}
	f.fail(t, "2024-03-03")
	f.fail(t, "2024-03-03") // a repeat: counted, not sent
	f.n.Tick(ctx)
	none(t, cc) // still inside the group window
	f.clock.Add(time.Minute)
	f.n.Tick(ctx)
	var m map[string]any
	json.Unmarshal(wait(t, cc).raw, &m)
	mentions, _ := json.Marshal(m["mentions"])
	if string(mentions) != `["lead","alice","ann"]` {
		t.Errorf("mentions = %s, want the policy's people, the owner and the on-call person", mentions)
	}
	as, _ := f.store.ListAlerts(ctx, &meta.ListAlertsParams{ProjectID: f.proj.ID})
	if len(as) != 1 || as[0].Count != 2 {
		t.Fatalf("alerts = %+v, want one counted twice", as)
	}

	// A burst of failures becomes one message.
	for i := range 30 {
		f.fail(t, "2024-02-"+strconv.Itoa(10+i%19)+"x"+strconv.Itoa(i))
	}
	f.clock.Add(time.Minute)
	f.n.Tick(ctx)
	json.Unmarshal(wait(t, cc).raw, &m)
	if m["title"] != "[Kiln edu] 30 alerts" || !strings.Contains(m["text"].(string), "and 20 more") {
		t.Errorf("burst message = %v", m)
	}
	none(t, cc)

	// Unacknowledged for 30 minutes: escalated once, to the escalation channel.
	for _, a := range mustAlerts(t, f, meta.AlertOpen)[1:] {
		f.store.AckAlert(ctx, f.proj.ID, a.ID, "ops", f.clock.Now())
	}
	f.clock.Add(30 * time.Minute)
	f.n.Tick(ctx)
	json.Unmarshal(wait(t, oc).raw, &m)
	if !strings.Contains(m["title"].(string), "ESCALATED") || !strings.Contains(m["text"].(string), "kiln alert ack") {
		t.Errorf("escalation = %v", m)
	}
	f.clock.Add(30 * time.Minute)
	f.n.Tick(ctx)
	none(t, oc)

	// Quiet hours hold a non-core task's alert until 08:00.
	spec := meta.TaskSpec{Name: "ods_misc", Type: meta.TaskSQLScript, SQL: "SELECT 1", Tier: meta.TierNormal}
	_, v, _ := f.store.CreateTask(ctx, &meta.CreateTaskParams{ProjectID: f.proj.ID, Spec: spec, Hash: "h"})
	f.clock.Set(time.Date(2024, 3, 4, 23, 0, 0, 0, time.UTC))
	f.n.Tick(ctx) // 23:00 is past 18:00: the reminder goes out
	json.Unmarshal(wait(t, oc).raw, &m)
	json.Unmarshal(wait(t, cc).raw, &m)
	if m["title"] != "[Kiln edu] on call: ann" {
		t.Errorf("reminder = %v", m)
	}
	if err := f.n.Notify(ctx, &alert.Event{Kind: "instance.failed", ProjectID: f.proj.ID, Task: "ods_misc", VersionID: v.ID, Bizdate: "2024-03-04"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(5 * time.Minute)
	f.n.Tick(ctx)
	none(t, oc)
	f.clock.Set(time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC))
	f.n.Tick(ctx)
	json.Unmarshal(wait(t, oc).raw, &m)
	if !strings.Contains(m["title"].(string), "ods_misc") {
		t.Errorf("held alert = %v", m)
	}

	// A silence holds everything back.
	f.store.AddSilence(ctx, &meta.Silence{ProjectID: f.proj.ID, Until: f.clock.Now().Add(time.Hour)})
	f.fail(t, "2024-03-05")
	f.clock.Add(2 * time.Minute)
	f.n.Tick(ctx)
	none(t, cc)
}

func mustAlerts(t *testing.T, f *fixture, st meta.AlertState) []*meta.Alert {
	as, err := f.store.ListAlerts(t.Context(), &meta.ListAlertsParams{ProjectID: f.proj.ID, State: st, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func TestValidateConfig(t *testing.T) {
	t.Parallel()
	err := alert.ValidateConfig(&meta.AlertConfig{QuietHours: "late", Channels: []meta.AlertChannel{{Name: "x", Kind: "pager"}},
		Policies: []meta.AlertPolicy{{Channels: []string{"nope"}}}, Rota: &meta.Rota{Start: "monday"}})
	for _, want := range []string{`unknown kind "pager"`, "unknown channel nope", "quiet_hours", "rota: no people"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateConfig error %v lacks %q", err, want)
		}
	}
}
