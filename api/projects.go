package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/kilnhq/kiln/auth"
	"github.com/kilnhq/kiln/meta"
)

// LoginRequest signs in with a password.
type LoginRequest struct {
	User      string `json:"user"`
	Password  string `json:"password"`
	TokenName string `json:"token_name,omitempty"`
}

// TokenResponse carries a new token; it is shown once and stored only as a hash.
type TokenResponse struct {
	Token string      `json:"token"`
	Info  *meta.Token `json:"info"`
	User  *meta.User  `json:"user"`
}

// CreateTokenRequest asks for a token for the signed-in user.
type CreateTokenRequest struct {
	Name      string `json:"name"`
	ExpiresIn string `json:"expires_in,omitempty"` // Go duration, e.g. 720h; empty: never
}

// CreateUserRequest adds a user.
type CreateUserRequest struct {
	Name     string `json:"name"`
	Email    string `json:"email,omitempty"`
	Password string `json:"password"`
	Admin    bool   `json:"admin"`
}

// CreateProjectRequest makes an empty project.
type CreateProjectRequest struct {
	Name          string `json:"name"`
	Description   string `json:"description,omitempty"`
	DefaultEngine string `json:"default_engine,omitempty"`
}

// SetMemberRequest sets a member's role.
type SetMemberRequest struct {
	Role meta.Role `json:"role"`
}

// Me is the signed-in user and their projects.
type Me struct {
	User     *meta.User    `json:"user"`
	Projects []ProjectRole `json:"projects"`
}

// ProjectRole is a project and the caller's role in it.
type ProjectRole struct {
	Project *meta.Project `json:"project"`
	Role    meta.Role     `json:"role"`
}

func (s *Server) registerProjectRoutes() {
	s.add(&route{method: "POST", path: "/api/v1/login", tag: "auth", summary: "Sign in with a password and get a new API token",
		scope: scopePublic, in: LoginRequest{}, out: TokenResponse{}, h: s.login})
	s.add(&route{method: "GET", path: "/api/v1/me", tag: "auth", summary: "The signed-in user and their projects and roles",
		scope: scopeUser, out: Me{}, h: s.me})
	s.add(&route{method: "POST", path: "/api/v1/tokens", tag: "auth", summary: "Create an API token for yourself",
		scope: scopeUser, in: CreateTokenRequest{}, out: TokenResponse{}, h: s.createToken})
	s.add(&route{method: "GET", path: "/api/v1/tokens", tag: "auth", summary: "List your API tokens (never their values)",
		scope: scopeUser, out: []meta.Token{}, h: s.listTokens})
	s.add(&route{method: "DELETE", path: "/api/v1/tokens/{id}", tag: "auth", summary: "Revoke one of your tokens",
		scope: scopeUser, h: s.deleteToken})
	s.add(&route{method: "POST", path: "/api/v1/users", tag: "console", summary: "Add a user (administrators)",
		scope: scopeAdmin, in: CreateUserRequest{}, out: meta.User{}, h: s.createUser})
	s.add(&route{method: "GET", path: "/api/v1/users", tag: "console", summary: "List users (administrators)",
		scope: scopeAdmin, out: []meta.User{}, h: s.listUsers})
	s.add(&route{method: "GET", path: "/api/v1/projects", tag: "projects", summary: "Projects you are a member of (all, for administrators)",
		scope: scopeUser, out: []ProjectRole{}, h: s.listProjects})
	s.add(&route{method: "POST", path: "/api/v1/projects", tag: "projects", summary: "Create an empty project; you become its owner",
		scope: scopeUser, in: CreateProjectRequest{}, out: meta.Project{}, h: s.createProject})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}", tag: "projects", summary: "A project and its settings",
		scope: scopeProject, act: meta.ActRead, out: meta.Project{}, h: s.getProject})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/members", tag: "projects", summary: "Members and their roles",
		scope: scopeProject, act: meta.ActRead, out: []meta.Member{}, h: s.listMembers})
	s.add(&route{method: "PUT", path: "/api/v1/projects/{project}/members/{user}", tag: "projects", summary: "Add a member or change their role (owner, developer, operator, viewer)",
		scope: scopeProject, act: meta.ActManageMembers, in: SetMemberRequest{}, out: meta.Member{}, h: s.setMember})
	s.add(&route{method: "DELETE", path: "/api/v1/projects/{project}/members/{user}", tag: "projects", summary: "Remove a member",
		scope: scopeProject, act: meta.ActManageMembers, h: s.removeMember})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/datasources", tag: "projects", summary: "Data sources (secrets are never returned)",
		scope: scopeProject, act: meta.ActRead, out: []meta.DataSource{}, h: s.listDataSources})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/audit", tag: "console", summary: "The project's audit log, newest first",
		scope: scopeProject, act: meta.ActManageMembers, out: []meta.AuditEntry{}, query: []param{{"action", "string", "only this action"}, {"limit", "integer", "at most this many"}}, h: s.listAudit})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *call) error {
	var req LoginRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	u, err := s.auth.Login(r.Context(), req.User, req.Password)
	if err != nil {
		if errors.Is(err, auth.ErrUnauthenticated) {
			return &Error{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "wrong user name or password"}
		}
		return err
	}
	name := req.TokenName
	if name == "" {
		name = "login " + time.Now().UTC().Format(time.DateTime)
	}
	return s.issueToken(w, r.Context(), u, name, nil)
}

func (s *Server) issueToken(w http.ResponseWriter, ctx context.Context, u *meta.User, name string, expires *time.Time) error {
	tok, hash, err := auth.NewToken()
	if err != nil {
		return err
	}
	info, err := s.store.CreateToken(ctx, &meta.CreateTokenParams{UserID: u.ID, Name: name, Hash: hash, ExpiresAt: expires})
	if err != nil {
		return err
	}
	s.audit(ctx, u, 0, "token.create", name, "")
	writeJSON(w, http.StatusCreated, TokenResponse{Token: tok, Info: info, User: u})
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, c *call) error {
	projects, err := s.visibleProjects(r.Context(), c.user)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Me{User: c.user, Projects: projects})
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c *call) error {
	var req CreateTokenRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return badRequest("a token needs a name")
	}
	var expires *time.Time
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 {
			return badRequest("expires_in must be a positive duration such as 720h, got %q", req.ExpiresIn)
		}
		t := time.Now().UTC().Add(d)
		expires = &t
	}
	return s.issueToken(w, r.Context(), c.user, req.Name, expires)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, c *call) error {
	toks, err := s.store.ListTokens(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(toks))
	return nil
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeleteToken(r.Context(), c.user.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, c *call) error {
	var req CreateUserRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if !validName(req.Name) {
		return badRequest("user name %q must be 1-64 letters, digits, '.', '_' or '-'", req.Name)
	}
	if len(req.Password) < 8 {
		return badRequest("password must be at least 8 characters")
	}
	hash, err := auth.HashPassword(req.Password)
	if err != nil {
		return err
	}
	u, err := s.store.CreateUser(r.Context(), &meta.CreateUserParams{Name: req.Name, Email: req.Email, PasswordHash: hash, Admin: req.Admin})
	if err != nil {
		return err
	}
	s.audit(r.Context(), c.user, 0, "user.create", req.Name, "")
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, _ *call) error {
	us, err := s.store.ListUsers(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(us))
	return nil
}

func (s *Server) visibleProjects(ctx context.Context, u *meta.User) ([]ProjectRole, error) {
	all, err := s.store.ListProjects(ctx)
	if err != nil {
		return nil, err
	}
	out := []ProjectRole{}
	for _, p := range all {
		role, err := s.auth.RoleIn(ctx, u, p.ID)
		if errors.Is(err, meta.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ProjectRole{Project: p, Role: role})
	}
	return out, nil
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.visibleProjects(r.Context(), c.user)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request, c *call) error {
	var req CreateProjectRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if !validName(req.Name) {
		return badRequest("project name %q must be 1-64 letters, digits, '.', '_' or '-'", req.Name)
	}
	var p *meta.Project
	err := s.store.InTx(r.Context(), func(tx meta.Store) error {
		var err error
		p, err = tx.CreateProject(r.Context(), &meta.CreateProjectParams{Name: req.Name, Description: req.Description, DefaultEngine: req.DefaultEngine})
		if err != nil {
			return err
		}
		_, err = tx.SetMember(r.Context(), &meta.SetMemberParams{ProjectID: p.ID, UserID: c.user.ID, Role: meta.RoleOwner})
		return err
	})
	if err != nil {
		return err
	}
	s.audit(r.Context(), c.user, p.ID, "project.create", p.Name, "")
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) getProject(w http.ResponseWriter, _ *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, c.project)
	return nil
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, c *call) error {
	ms, err := s.store.ListMembers(r.Context(), c.project.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(ms))
	return nil
}

func (s *Server) setMember(w http.ResponseWriter, r *http.Request, c *call) error {
	var req SetMemberRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if !req.Role.Valid() {
		return badRequest("role %q is not one of owner, developer, operator, viewer", req.Role)
	}
	u, err := s.store.GetUser(r.Context(), r.PathValue("user"))
	if err != nil {
		return err
	}
	m, err := s.store.SetMember(r.Context(), &meta.SetMemberParams{ProjectID: c.project.ID, UserID: u.ID, Role: req.Role})
	if err != nil {
		return err
	}
	s.audit(r.Context(), c.user, c.project.ID, "member.set", u.Name, string(req.Role))
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := s.store.GetUser(r.Context(), r.PathValue("user"))
	if err != nil {
		return err
	}
	if err := s.store.RemoveMember(r.Context(), c.project.ID, u.ID); err != nil {
		return err
	}
	s.audit(r.Context(), c.user, c.project.ID, "member.remove", u.Name, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listDataSources(w http.ResponseWriter, r *http.Request, c *call) error {
	ds, err := s.store.ListDataSources(r.Context(), c.project.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(ds))
	return nil
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, c *call) error {
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		return err
	}
	es, err := s.store.ListAudit(r.Context(), &meta.ListAuditParams{ProjectID: c.project.ID, Action: r.URL.Query().Get("action"), Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(es))
	return nil
}

// audit records an action; a failure to record is logged, not returned,
// because the action itself already happened.
func (s *Server) audit(ctx context.Context, u *meta.User, projectID int64, action, target, detail string) {
	e := &meta.AuditEntry{At: time.Now().UTC(), UserName: u.Name, ProjectID: projectID, Action: action, Target: target, Detail: detail}
	if err := s.store.AddAudit(ctx, e); err != nil {
		s.log.Error("write audit entry", "action", action, "err", err)
	}
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
