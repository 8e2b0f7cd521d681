package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kilnhq/kiln/meta"
)

// scope says what a route's path names, and so what its role check is about.
type scope int

const (
	scopePublic   scope = iota // no token needed
	scopeUser                  // any signed-in user
	scopeAdmin                 // admins only
	scopeProject               // the path names {project}
	scopeInstance              // the path names an instance {id}
)

// call is what a handler gets besides the request.
type call struct {
	user     *meta.User
	project  *meta.Project
	role     meta.Role
	instance *meta.Instance
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// route is one API endpoint; the OpenAPI document is generated from these.
type route struct {
	method, path, summary, tag string
	scope                      scope
	act                        meta.Action
	in, out                    any    // request and response body types, for the document
	produces                   string // a non-JSON response type
	query                      []param
	h                          handlerFunc
}

type param struct {
	name, typ, desc string
}

func (s *Server) add(rt *route) {
	s.routes = append(s.routes, rt)
	s.mux.HandleFunc(rt.method+" "+rt.path, s.wrap(rt))
}

// wrap authenticates, authorizes by role, runs the handler and records metrics.
func (s *Server) wrap(rt *route) http.HandlerFunc {
	pattern := rt.method + " " + rt.path
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		c, err := s.authorize(r, rt)
		if err == nil {
			err = rt.h(sw, r, c)
		}
		if err != nil {
			if sw.status != 0 {
				// Headers are out (a stream failed midway): all we can do is log.
				s.log.Warn("request failed after response started", "route", pattern, "err", err)
			} else {
				ae := toAPIError(err)
				if ae.Status >= 500 {
					s.log.Error("request failed", "route", pattern, "err", err)
				}
				writeError(sw, ae)
			}
		}
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.metrics.requests.WithLabelValues(pattern, fmt.Sprint(status)).Inc()
		s.metrics.latency.WithLabelValues(pattern).Observe(time.Since(start).Seconds())
	}
}

func (s *Server) authorize(r *http.Request, rt *route) (*call, error) {
	c := &call{}
	if rt.scope == scopePublic {
		return c, nil
	}
	u, err := s.auth.UserForToken(r.Context(), bearer(r))
	if err != nil {
		return nil, err
	}
	c.user = u
	switch rt.scope {
	case scopeAdmin:
		if !u.Admin {
			return nil, &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "only administrators may do this"}
		}
	case scopeProject:
		p, err := s.store.GetProject(r.Context(), r.PathValue("project"))
		if err != nil {
			return nil, err
		}
		c.project = p
		return c, s.checkRole(r.Context(), c, rt.act)
	case scopeInstance:
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		inst, err := s.store.GetInstance(r.Context(), id)
		if err != nil {
			return nil, err
		}
		p, err := s.store.GetProjectByID(r.Context(), inst.ProjectID)
		if err != nil {
			return nil, err
		}
		c.project, c.instance = p, inst
		return c, s.checkRole(r.Context(), c, rt.act)
	}
	return c, nil
}

func (s *Server) checkRole(ctx context.Context, c *call, act meta.Action) error {
	role, err := s.auth.RoleIn(ctx, c.user, c.project.ID)
	if errors.Is(err, meta.ErrNotFound) {
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: fmt.Sprintf("you are not a member of project %q", c.project.Name)}
	}
	if err != nil {
		return err
	}
	c.role = role
	if !role.Can(act) {
		return &Error{Status: http.StatusForbidden, Code: "forbidden",
			Message: fmt.Sprintf("your role %q in project %q does not allow %s", role, c.project.Name, act)}
	}
	return nil
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming handlers push what they wrote.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kiln_http_requests_total", Help: "API requests by route and status."}, []string{"route", "status"}),
		latency:  prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kiln_http_request_seconds", Help: "API request latency by route."}, []string{"route"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.latency)
	}
	return m
}

func sprintf(format string, args ...any) string {
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}
