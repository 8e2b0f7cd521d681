package api

import (
	"net/http"

	"github.com/kilnhq/kiln/meta"
)

// SaveQueryRequest saves (or replaces) a named query in a folder.
type SaveQueryRequest struct {
	Folder string `json:"folder,omitempty"`
	Name   string `json:"name"`
	Engine string `json:"engine,omitempty"`
	SQL    string `json:"sql"`
	// Shared makes the query visible to every member of the project.
	Shared bool `json:"shared,omitempty"`
}

func (s *Server) registerSavedQueryRoutes() {
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/saved-queries", tag: "query", summary: "Your saved queries and those shared in the project",
		scope: scopeProject, act: meta.ActQuery, out: []meta.SavedQuery{}, h: s.listSavedQueries})
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/saved-queries", tag: "query", summary: "Save a query by folder and name (replaces yours of the same name)",
		scope: scopeProject, act: meta.ActQuery, in: SaveQueryRequest{}, out: meta.SavedQuery{}, h: s.saveQuery})
	s.add(&route{method: "DELETE", path: "/api/v1/projects/{project}/saved-queries/{id}", tag: "query", summary: "Delete one of your saved queries",
		scope: scopeProject, act: meta.ActQuery, h: s.deleteSavedQuery})
}

func (s *Server) listSavedQueries(w http.ResponseWriter, r *http.Request, c *call) error {
	qs, err := s.queryStore.ListSavedQueries(r.Context(), c.project.ID, c.user.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(qs))
	return nil
}

func (s *Server) saveQuery(w http.ResponseWriter, r *http.Request, c *call) error {
	var req SaveQueryRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if req.Name == "" || req.SQL == "" {
		return badRequest("a saved query needs a name and sql")
	}
	q := &meta.SavedQuery{ProjectID: c.project.ID, Owner: c.user.Name, Folder: req.Folder, Name: req.Name, Engine: req.Engine, SQL: req.SQL, Shared: req.Shared}
	if err := s.queryStore.SaveQuery(r.Context(), q); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func (s *Server) deleteSavedQuery(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q, err := s.queryStore.GetSavedQuery(r.Context(), id)
	if err != nil {
		return err
	}
	if q.ProjectID != c.project.ID || (q.Owner != c.user.Name && !c.user.Admin) {
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "only its owner may delete saved query " + q.Name}
	}
	if err := s.queryStore.DeleteSavedQuery(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
