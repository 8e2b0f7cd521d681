package alert_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/alert"
	"github.com/kilnhq/kiln/meta"
)

func TestShifts(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	r := &meta.Rota{People: []string{"ann", "ben", "cat"}, Start: "2024-03-01", Handover: "09:00", Shift: meta.Duration(12 * time.Hour)}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		now  string
		want []string // person@from
	}{
		{"2024-03-01 09:00", []string{"ann@2024-03-01 09:00", "ben@2024-03-01 21:00", "cat@2024-03-02 09:00"}},
		{"2024-03-01 20:59", []string{"ann@2024-03-01 09:00", "ben@2024-03-01 21:00", "cat@2024-03-02 09:00"}},
		{"2024-03-02 10:00", []string{"cat@2024-03-02 09:00", "ann@2024-03-02 21:00", "ben@2024-03-03 09:00"}},
		// Before the start the turns run backwards; a hand-over time itself
		// starts the new shift.
		{"2024-03-01 08:59", []string{"cat@2024-02-29 21:00", "ann@2024-03-01 09:00", "ben@2024-03-01 21:00"}},
		{"2024-02-29 21:00", []string{"cat@2024-02-29 21:00", "ann@2024-03-01 09:00", "ben@2024-03-01 21:00"}},
	} {
		got, err := alert.Shifts(r, at(c.now), loc, 2)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, x := range got {
			s = append(s, x.Person+"@"+x.From.In(loc).Format("2006-01-02 15:04"))
			if x.To.Sub(x.From) != 12*time.Hour {
				t.Errorf("%s: shift %+v is not 12h", c.now, x)
			}
		}
		if strings.Join(s, ",") != strings.Join(c.want, ",") {
			t.Errorf("at %s: %v, want %v", c.now, s, c.want)
		}
		if who, _ := alert.OnCall(r, at(c.now), loc); who != got[0].Person {
			t.Errorf("at %s: OnCall %s, Shifts %s", c.now, who, got[0].Person)
		}
	}
	if got, err := alert.Shifts(nil, time.Now(), loc, 3); err != nil || got != nil {
		t.Errorf("no rota: %v %v", got, err)
	}
	for _, bad := range []*meta.Rota{
		{People: []string{"a"}, Start: "1 March"},
		{People: []string{"a"}, Start: "2024-03-01", Handover: "9am"},
		{People: []string{"a"}, Start: "2024-03-01", Shift: meta.Duration(-time.Hour)},
	} {
		if _, err := alert.Shifts(bad, time.Now(), loc, 1); err == nil {
			t.Errorf("rota %+v: no error", bad)
		}
		if err := alert.ValidateConfig(&meta.AlertConfig{Rota: bad}); err == nil {
			t.Errorf("ValidateConfig accepted rota %+v", bad)
		}
	}
}

func TestSendTest(t *testing.T) {
	t.Parallel()
	got := make(chan alert.Message, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m alert.Message
		_ = json.NewDecoder(r.Body).Decode(&m)
		got <- m
	}))
	defer recv.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no secret "+r.URL.Query().Get("k"), http.StatusUnauthorized)
	}))
	defer down.Close()
	cfg := &meta.AlertConfig{Channels: []meta.AlertChannel{
		{Name: "hook", Kind: "webhook", URL: recv.URL},
		{Name: "down", Kind: "webhook", URLEnv: "KILN_ALERT_DOWN_URL"},
		{Name: "unset", Kind: "slack", URLEnv: "KILN_ALERT_NOT_SET"},
	}}
	env := func(k string) string {
		if k == "KILN_ALERT_DOWN_URL" {
			return down.URL + "?k=tok3n"
		}
		return ""
	}
	ctx := context.Background()
	if err := alert.SendTest(ctx, cfg, "shop", "hook", "ann", env, nil); err != nil {
		t.Fatal(err)
	}
	if m := <-got; m.Kind != alert.KindTest || m.Project != "shop" || !strings.Contains(m.Text, "sent by ann") {
		t.Errorf("received %+v", m)
	}
	err := alert.SendTest(ctx, cfg, "shop", "down", "ann", env, nil)
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || strings.Contains(err.Error(), "tok3n") {
		t.Errorf("refusing channel: %v (the URL's token must be redacted)", err)
	}
	if err := alert.SendTest(ctx, cfg, "shop", "unset", "ann", env, nil); err == nil || !strings.Contains(err.Error(), "KILN_ALERT_NOT_SET") {
		t.Errorf("channel with an unset variable: %v", err)
	}
	if err := alert.SendTest(ctx, cfg, "shop", "nope", "ann", env, nil); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("missing channel: %v", err)
	}
	if err := alert.SendTest(ctx, nil, "shop", "hook", "ann", env, nil); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("no settings: %v", err)
	}
}

// A channel may only read KILN_ALERT_… variables (not the admin token, say);
// a URL that does not parse is not quoted back; link-local addresses
// (cloud metadata) are refused; an SMTP server that never answers is hung
// up on when the send gives up.
func TestChannels_CannotReachTheServersSecrets(t *testing.T) {
	t.Parallel()
	for _, ch := range []meta.AlertChannel{
		{Name: "a", Kind: "webhook", URLEnv: "KILN_ADMIN_TOKEN"},
		{Name: "b", Kind: "feishu", URL: "http://x", SecretEnv: "PGPASSWORD"},
		{Name: "c", Kind: "email", SMTP: "h:25", From: "a@b.c", To: []string{"d@e.f"}, UsernameEnv: "KILN_ALERT_U", PasswordEnv: "KILN_MASTER_KEY"},
		{Name: "d", Kind: "slack", URLEnv: "KILN_ALERT_"},
	} {
		err := alert.ValidateConfig(&meta.AlertConfig{Channels: []meta.AlertChannel{ch}})
		if err == nil || !strings.Contains(err.Error(), "may only read server environment variables named KILN_ALERT_") {
			t.Errorf("channel %s: %v", ch.Name, err)
		}
	}
	env := func(k string) string {
		if k == "KILN_ALERT_BAD_URL" {
			return "1bad:%zz-secret-value"
		}
		return ""
	}
	ctx := context.Background()
	cfg := &meta.AlertConfig{Channels: []meta.AlertChannel{
		{Name: "bad", Kind: "webhook", URLEnv: "KILN_ALERT_BAD_URL"},
		{Name: "meta", Kind: "webhook", URL: "http://169.254.169.254/latest/meta-data/"},
	}}
	if err := alert.SendTest(ctx, cfg, "shop", "bad", "ann", env, nil); err == nil || strings.Contains(err.Error(), "secret-value") {
		t.Errorf("a bad URL: %v (must not quote the URL)", err)
	}
	if err := alert.SendTest(ctx, cfg, "shop", "meta", "ann", env, nil); err == nil || !strings.Contains(err.Error(), "link-local") {
		t.Errorf("cloud metadata address: %v", err)
	}

	// An SMTP server that accepts and never says a word.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c
		}
	}()
	cfg = &meta.AlertConfig{Channels: []meta.AlertChannel{{Name: "mail", Kind: "email", SMTP: ln.Addr().String(), From: "a@b.c", To: []string{"d@e.f"}}}}
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := alert.SendTest(sctx, cfg, "shop", "mail", "ann", env, nil); err == nil {
		t.Fatal("a silent SMTP server: no error")
	}
	c := <-accepted
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("the connection to a silent SMTP server is still open after the send gave up: %v", err)
	}
}
