package dataapi

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/kilnhq/kiln/auth"
	"github.com/kilnhq/kiln/meta"
)

// Handler serves GET /data/v1/{project}/{path...}.
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(s.serve)
}

// callError is an error answer with its status.
type callError struct {
	status     int
	code, msg  string
	retryAfter int
}

func (s *Service) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	call := &meta.DataAPICall{At: start}
	body, rows, cerr := s.answer(r, call)
	if cerr != nil {
		if cerr.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(cerr.retryAfter))
		}
		body, _ = json.Marshal(map[string]any{"error": map[string]string{"code": cerr.code, "message": cerr.msg}})
		call.Status = cerr.status
	} else {
		call.Status, call.Rows = http.StatusOK, rows
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(call.Status)
	_, _ = w.Write(body)
	if call.APIID != 0 {
		call.LatencyUS = time.Since(start).Microseconds()
		select {
		case s.calls <- call:
		default: // the log is behind; drop rather than slow callers
		}
	}
}

func (s *Service) answer(r *http.Request, call *meta.DataAPICall) ([]byte, int64, *callError) {
	if r.Method != http.MethodGet {
		return nil, 0, &callError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", msg: "data APIs answer GET only"}
	}
	s.mu.RLock()
	api := s.byPath[r.PathValue("project")+"/"+r.PathValue("path")]
	s.mu.RUnlock()
	if api == nil {
		return nil, 0, &callError{status: http.StatusNotFound, code: "not_found", msg: "no data API at " + r.URL.Path}
	}
	call.APIID = api.row.ID
	if !api.row.Online {
		return nil, 0, &callError{status: http.StatusServiceUnavailable, code: "offline", msg: "this data API is offline"}
	}
	app, cerr := s.authenticate(r, api, call)
	if cerr != nil {
		return nil, 0, cerr
	}
	if cerr := allow(api.limiter, "API"); cerr != nil {
		return nil, 0, cerr
	}
	if cerr := allow(app.limiter, "app"); cerr != nil {
		return nil, 0, cerr
	}
	q, cerr := api.parseCall(r.URL.Query())
	if cerr != nil {
		return nil, 0, cerr
	}
	now := time.Now()
	key := cacheKey{api: api.row.ID, version: api.row.Version, params: q.key}
	if api.ttl > 0 {
		if e, ok := s.cache.get(key, now); ok {
			call.Cached = true
			return e.body, e.rows, nil
		}
	}
	body, rows, err := s.run(r.Context(), api, q)
	if err != nil {
		return nil, 0, &callError{status: http.StatusBadGateway, code: "query_failed", msg: err.Error()}
	}
	if api.ttl > 0 {
		s.cache.put(key, cacheEntry{body: body, rows: rows, expires: now.Add(api.ttl)}, now)
	}
	return body, rows, nil
}

// allow takes a token from a limiter, or answers 429 with the wait.
func allow(l *rate.Limiter, what string) *callError {
	if l == nil {
		return nil
	}
	res := l.Reserve()
	if d := res.Delay(); d > 0 {
		res.Cancel()
		return &callError{status: http.StatusTooManyRequests, code: "rate_limited",
			msg: fmt.Sprintf("the %s's rate limit is reached; retry after the Retry-After seconds", what), retryAfter: max(1, int(math.Ceil(d.Seconds())))}
	}
	return nil
}

// authenticate finds the app by its token in memory (no store access),
// checks expiry, the grant and, when the app has a secret, the signature:
// X-Kiln-Timestamp (Unix seconds), X-Kiln-Nonce, and X-Kiln-Signature, the
// hex HMAC-SHA256 of "GET\n<path>\n<sorted query>\n<timestamp>\n<nonce>".
// The call is attributed to the app as soon as its token is known, so that
// an app's refused calls count in its metrics.
func (s *Service) authenticate(r *http.Request, api *liveAPI, call *meta.DataAPICall) (*liveApp, *callError) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" {
		return nil, &callError{status: http.StatusUnauthorized, code: "unauthenticated", msg: "an app token is required (Authorization: Bearer <token>)"}
	}
	s.mu.RLock()
	app := s.apps[auth.HashToken(tok)]
	s.mu.RUnlock()
	now := time.Now()
	if app == nil {
		return nil, &callError{status: http.StatusUnauthorized, code: "unauthenticated", msg: "unknown app token"}
	}
	call.AppID = app.app.ID
	if app.app.ExpiresAt != nil && now.After(*app.app.ExpiresAt) {
		return nil, &callError{status: http.StatusUnauthorized, code: "token_expired", msg: "the app's token expired at " + app.app.ExpiresAt.Format(time.RFC3339)}
	}
	if app.app.ProjectID != api.row.ProjectID || !app.apis[api.row.ID] {
		return nil, &callError{status: http.StatusForbidden, code: "forbidden", msg: fmt.Sprintf("app %s is not granted this API", app.app.Name)}
	}
	if app.secret == "" {
		return app, nil
	}
	ts, nonce, sig := r.Header.Get("X-Kiln-Timestamp"), r.Header.Get("X-Kiln-Nonce"), r.Header.Get("X-Kiln-Signature")
	if ts == "" || nonce == "" || sig == "" {
		return nil, &callError{status: http.StatusUnauthorized, code: "signature_required", msg: "this app must sign requests: X-Kiln-Timestamp, X-Kiln-Nonce and X-Kiln-Signature"}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || math.Abs(now.Sub(time.Unix(sec, 0)).Seconds()) > s.cfg.SignatureWindow.Seconds() {
		return nil, &callError{status: http.StatusUnauthorized, code: "bad_timestamp", msg: fmt.Sprintf("X-Kiln-Timestamp must be Unix seconds within %s of the server's clock", s.cfg.SignatureWindow)}
	}
	want := Sign(app.secret, r.URL.Path, r.URL.Query(), ts, nonce)
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, want) {
		return nil, &callError{status: http.StatusUnauthorized, code: "bad_signature", msg: "X-Kiln-Signature does not match the request"}
	}
	if !s.nonces.add(app.app.Name+"\x00"+nonce, now.Add(2*s.cfg.SignatureWindow), now) {
		return nil, &callError{status: http.StatusUnauthorized, code: "replayed", msg: "this nonce was used already; every signed request needs a new one"}
	}
	return app, nil
}

// Sign computes a request's signature.
func Sign(secret, path string, q url.Values, ts, nonce string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "GET\n%s\n%s\n%s\n%s", path, q.Encode(), ts, nonce)
	return m.Sum(nil)
}

// callQuery is a call's checked parameters.
type callQuery struct {
	vals  map[string]any
	page  int
	size  int
	total bool
	key   string
}

// parseCall checks a call's query string against the spec: unknown,
// missing, repeated and mistyped parameters are 400s.
func (a *liveAPI) parseCall(q url.Values) (*callQuery, *callError) {
	bad := func(format string, args ...any) *callError {
		return &callError{status: http.StatusBadRequest, code: "bad_parameter", msg: fmt.Sprintf(format, args...)}
	}
	c := &callQuery{vals: map[string]any{}, page: 1, size: DefaultPageSize}
	maxSize := a.spec.MaxPageSize
	if maxSize == 0 {
		maxSize = DefaultMaxPageSize
	}
	c.size = min(c.size, maxSize)
	for name := range q {
		if !slices.Contains(reserved, name) && !slices.ContainsFunc(a.spec.Params, func(p Param) bool { return p.Name == name }) {
			return nil, bad("unknown parameter %q", name)
		}
	}
	var err error
	if v := q.Get("page"); v != "" {
		if c.page, err = strconv.Atoi(v); err != nil || c.page < 1 || c.page > 1_000_000 {
			return nil, bad("page must be a whole number from 1, got %q", v)
		}
	}
	if v := q.Get("page_size"); v != "" {
		if c.size, err = strconv.Atoi(v); err != nil || c.size < 1 || c.size > maxSize {
			return nil, bad("page_size must be between 1 and %d, got %q", maxSize, v)
		}
	}
	if v := q.Get("total"); v != "" {
		if c.total, err = strconv.ParseBool(v); err != nil {
			return nil, bad("total must be true or false, got %q", v)
		}
	}
	var key bytes.Buffer
	fmt.Fprintf(&key, "%d|%d|%t", c.page, c.size, c.total)
	for _, p := range a.spec.Params {
		raw, ok := q[p.Name]
		if !ok || len(raw) == 0 || (len(raw) == 1 && raw[0] == "") {
			if p.Required {
				return nil, bad("parameter %s is required", p.Name)
			}
			if p.Default == "" {
				continue
			}
			raw = []string{p.Default}
		}
		v, err := p.Convert(raw)
		if err != nil {
			return nil, bad("%v", err)
		}
		c.vals[p.Name] = v
		enc, _ := json.Marshal(v)
		fmt.Fprintf(&key, "|%s=%s", p.Name, enc)
	}
	c.key = key.String()
	return c, nil
}

// run queries the engine for one page, and the total when asked.
func (s *Service) run(ctx context.Context, a *liveAPI, c *callQuery) ([]byte, int64, error) {
	eng, err := s.engines.Engine(ctx, a.row.ProjectID, a.spec.Engine)
	if err != nil {
		return nil, 0, err
	}
	sql, args := a.tmpl.render(c.vals, eng.Dialect(), false)
	page := fmt.Sprintf("SELECT * FROM (%s) AS kiln_api ORDER BY %s LIMIT %d OFFSET %d", sql, a.spec.OrderBy, c.size, (c.page-1)*c.size)
	rows, err := eng.Query(ctx, page, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var b bytes.Buffer
	b.WriteString(`{"data":[`)
	cols := rows.Columns()
	obj := make(map[string]any, len(cols))
	var n int64
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, 0, err
		}
		for i, v := range vals {
			obj[cols[i].Name] = jsonValue(v)
		}
		if n > 0 {
			b.WriteByte(',')
		}
		enc, err := json.Marshal(obj)
		if err != nil {
			return nil, 0, err
		}
		b.Write(enc)
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	fmt.Fprintf(&b, `],"page":%d,"page_size":%d,"version":%d`, c.page, c.size, a.row.Version)
	if c.total {
		total, err := count(ctx, eng, sql, args)
		if err != nil {
			return nil, 0, err
		}
		fmt.Fprintf(&b, `,"total":%d`, total)
	}
	b.WriteString("}\n")
	return b.Bytes(), n, nil
}
