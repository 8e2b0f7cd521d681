package dataapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"time"

	"github.com/kilnhq/kiln/auth"
	"github.com/kilnhq/kiln/meta"
)

// NewApp is a created app with its token (and signing secret), shown once.
type NewApp struct {
	App    *meta.DataApp `json:"app"`
	Token  string        `json:"token"`
	Secret string        `json:"secret,omitempty"`
}

// CreateAppParams describe a new app.
type CreateAppParams struct {
	ProjectID int64
	Name      string
	APIs      []int64 // IDs of the APIs it may call
	Sign      bool    // require HMAC-signed requests
	RateLimit float64
	ExpiresAt *time.Time
}

// CreateApp creates an app, grants it APIs and loads it at once.
func (s *Service) CreateApp(ctx context.Context, p *CreateAppParams) (*NewApp, error) {
	tok, hash, err := auth.NewToken()
	if err != nil {
		return nil, err
	}
	a := &meta.DataApp{ProjectID: p.ProjectID, Name: p.Name, TokenHash: hash, RateLimit: p.RateLimit, ExpiresAt: p.ExpiresAt}
	out := &NewApp{App: a, Token: tok}
	if p.Sign {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		out.Secret = hex.EncodeToString(b)
		if a.SecretEnc, err = s.box.Seal(out.Secret); err != nil {
			return nil, err
		}
	}
	if err := s.store.CreateDataApp(ctx, a); err != nil {
		return nil, err
	}
	for _, id := range p.APIs {
		if err := s.store.GrantDataApp(ctx, a.ID, id); err != nil {
			return nil, err
		}
	}
	a.APIs = slices.Clone(p.APIs)
	return out, s.Reload(ctx)
}

// Metrics summarise calls over a window.
type Metrics struct {
	Window    string  `json:"window"`
	Calls     int     `json:"calls"`
	QPS       float64 `json:"qps"`
	ErrorRate float64 `json:"error_rate"`
	P50Ms     float64 `json:"p50_ms"`
	P95Ms     float64 `json:"p95_ms"`
	Rows      int64   `json:"rows"`
	CacheHits int     `json:"cache_hits"`
}

// Metrics computes QPS, error rate, latency percentiles and rows of an API
// (apiID) and/or app (appID) over the window before now.
func (s *Service) Metrics(ctx context.Context, apiID, appID int64, window time.Duration) (*Metrics, error) {
	s.flushCalls(ctx)
	calls, err := s.store.ListDataAPICalls(ctx, &meta.ListDataAPICallsParams{APIID: apiID, AppID: appID, Since: time.Now().Add(-window)})
	if err != nil {
		return nil, err
	}
	m := &Metrics{Window: window.String(), Calls: len(calls)}
	if len(calls) == 0 {
		return m, nil
	}
	lat := make([]int64, 0, len(calls))
	errs := 0
	for _, c := range calls {
		lat = append(lat, c.LatencyUS)
		if c.Status >= 400 {
			errs++
		}
		if c.Cached {
			m.CacheHits++
		}
		m.Rows += c.Rows
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / 1000 }
	m.QPS = float64(len(calls)) / window.Seconds()
	m.ErrorRate = float64(errs) / float64(len(calls))
	m.P50Ms, m.P95Ms = pct(0.50), pct(0.95)
	return m, nil
}

// GrantApp lets an app call an API, at once.
func (s *Service) GrantApp(ctx context.Context, appID, apiID int64) error {
	if err := s.store.GrantDataApp(ctx, appID, apiID); err != nil {
		return err
	}
	return s.Reload(ctx)
}

// RotateApp gives an app a new token (and a new signing secret when sign),
// with a new expiry (nil: none); the old token stops working at once.
func (s *Service) RotateApp(ctx context.Context, app *meta.DataApp, sign bool, expiresAt *time.Time) (*NewApp, error) {
	tok, hash, err := auth.NewToken()
	if err != nil {
		return nil, err
	}
	p := &meta.RotateDataAppParams{ID: app.ID, TokenHash: hash, ExpiresAt: expiresAt}
	out := &NewApp{App: app, Token: tok}
	if sign {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		out.Secret = hex.EncodeToString(b)
		if p.SecretEnc, err = s.box.Seal(out.Secret); err != nil {
			return nil, err
		}
	}
	if err := s.store.RotateDataApp(ctx, p); err != nil {
		return nil, err
	}
	app.ExpiresAt = expiresAt
	return out, s.Reload(ctx)
}

// APIs lists a project's data APIs.
func (s *Service) APIs(ctx context.Context, projectID int64) ([]*meta.DataAPI, error) {
	return s.store.ListDataAPIs(ctx, projectID)
}

// Apps lists a project's apps with their grants.
func (s *Service) Apps(ctx context.Context, projectID int64) ([]*meta.DataApp, error) {
	return s.store.ListDataApps(ctx, projectID)
}

// Versions lists an API's versions, newest first.
func (s *Service) Versions(ctx context.Context, apiID int64) ([]*meta.DataAPIVersion, error) {
	return s.store.ListDataAPIVersions(ctx, apiID)
}

// Calls returns the call log (flushed first).
func (s *Service) Calls(ctx context.Context, p *meta.ListDataAPICallsParams) ([]*meta.DataAPICall, error) {
	s.flushCalls(ctx)
	return s.store.ListDataAPICalls(ctx, p)
}
