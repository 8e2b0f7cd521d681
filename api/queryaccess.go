package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/query"
)

// SensitiveAccess is one query or download that touched sensitive columns,
// as kept in the audit log (action "query.sensitive").
type SensitiveAccess struct {
	At       time.Time `json:"at"`
	User     string    `json:"user"`
	Project  string    `json:"project"`
	Kind     string    `json:"kind"` // query or download
	SQL      string    `json:"sql"`
	Columns  []string  `json:"columns"`
	Rows     int64     `json:"rows"`
	Status   string    `json:"status"`
	Unmasked bool      `json:"unmasked"`
}

// sensitiveDetail is the audit entry's detail.
type sensitiveDetail struct {
	Kind     string   `json:"kind"`
	SQL      string   `json:"sql"`
	Columns  []string `json:"columns"`
	Rows     int64    `json:"rows"`
	Status   string   `json:"status"`
	Unmasked bool     `json:"unmasked"`
}

// GrantRequest grants (or, in DELETE's path, revokes) a table to a user.
type GrantRequest struct {
	Table string `json:"table"`
	User  string `json:"user"`
}

const sensitiveAction = "query.sensitive"

func (s *Server) registerQueryAccessRoutes() {
	s.add(&route{method: "GET", path: "/api/v1/audit/sensitive", tag: "query", summary: "Queries and downloads that touched sensitive columns, newest first (administrators)",
		scope: scopeAdmin, out: []SensitiveAccess{}, query: []param{{"project", "string", "only this project"}, {"limit", "integer", "at most this many"}}, h: s.listSensitive})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/table-grants", tag: "query", summary: "Table grants: a granted table is readable only by its grantees and owners",
		scope: scopeProject, act: meta.ActQuery, out: []meta.TableGrant{}, h: s.listTableGrants})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/table-grants", tag: "query", summary: "Grant a user read access to a table (restricting the table to its grantees)",
		scope: scopeProject, act: meta.ActManageMembers, in: GrantRequest{}, out: meta.TableGrant{}, h: s.grantTable})
	s.add(&route{method: "DELETE", path: "/api/v1/projects/{project}/table-grants/{table}/{user}", tag: "query", summary: "Revoke a user's grant on a table (the table stays restricted)",
		scope: scopeProject, act: meta.ActManageMembers, h: s.revokeTable})
}

// auditSensitive records a finished query or download that returned
// sensitive columns.
func (s *Server) auditSensitive(c *call, kind string, run *meta.QueryRun, p *query.Prepared) {
	if p == nil || len(p.Sensitive) == 0 {
		return
	}
	d := sensitiveDetail{Kind: kind, SQL: truncate(run.SQL, 4000), Columns: p.Sensitive, Rows: run.Rows, Status: string(run.Status),
		Unmasked: c.user.Admin || c.role.Can(meta.ActUnmask)}
	b, _ := json.Marshal(d)
	s.audit(context.Background(), c.user, c.project.ID, sensitiveAction, strings.Join(p.Sensitive, ","), string(b))
}

func (s *Server) listSensitive(w http.ResponseWriter, r *http.Request, _ *call) error {
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		return err
	}
	var pid int64
	names := map[int64]string{}
	ps, err := s.store.ListProjects(r.Context())
	if err != nil {
		return err
	}
	for _, p := range ps {
		names[p.ID] = p.Name
	}
	if name := r.URL.Query().Get("project"); name != "" {
		p, err := s.store.GetProject(r.Context(), name)
		if err != nil {
			return err
		}
		pid = p.ID
	}
	es, err := s.store.ListAudit(r.Context(), &meta.ListAuditParams{ProjectID: pid, Action: sensitiveAction, Limit: limit})
	if err != nil {
		return err
	}
	out := []SensitiveAccess{}
	for _, e := range es {
		var d sensitiveDetail
		_ = json.Unmarshal([]byte(e.Detail), &d)
		out = append(out, SensitiveAccess{At: e.At, User: e.UserName, Project: names[e.ProjectID], Kind: d.Kind, SQL: d.SQL,
			Columns: d.Columns, Rows: d.Rows, Status: d.Status, Unmasked: d.Unmasked})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listTableGrants(w http.ResponseWriter, r *http.Request, c *call) error {
	gs, err := s.queryStore.ListTableGrants(r.Context(), c.project.ID)
	if err != nil {
		return err
	}
	out := []*meta.TableGrant{}
	for _, g := range gs {
		if g.UserName != query.RestrictedMarker {
			out = append(out, g)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) grantTable(w http.ResponseWriter, r *http.Request, c *call) error {
	var req GrantRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	req.Table = strings.ToLower(strings.TrimSpace(req.Table))
	if req.Table == "" || req.User == "" || strings.ContainsAny(req.Table, " /;'\"") {
		return badRequest("a grant needs a table (table or schema.table) and a user")
	}
	if _, err := s.store.GetUser(r.Context(), req.User); err != nil {
		return err
	}
	now := time.Now().UTC()
	// The marker row keeps the table restricted after its last grant goes.
	for _, u := range []string{query.RestrictedMarker, req.User} {
		if err := s.queryStore.GrantTable(r.Context(), &meta.TableGrant{ProjectID: c.project.ID, UserName: u, Table: req.Table, GrantedBy: c.user.Name, CreatedAt: now}); err != nil {
			return err
		}
	}
	s.audit(r.Context(), c.user, c.project.ID, "table.grant", req.Table, req.User)
	writeJSON(w, http.StatusOK, &meta.TableGrant{ProjectID: c.project.ID, UserName: req.User, Table: req.Table, GrantedBy: c.user.Name, CreatedAt: now})
	return nil
}

func (s *Server) revokeTable(w http.ResponseWriter, r *http.Request, c *call) error {
	table, user := strings.ToLower(r.PathValue("table")), r.PathValue("user")
	if err := s.queryStore.RevokeTable(r.Context(), c.project.ID, user, table); err != nil {
		return err
	}
	s.audit(r.Context(), c.user, c.project.ID, "table.revoke", table, user)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
