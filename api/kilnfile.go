package api

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/project"
)

// alertsBack prepares the alerts: section of kiln.yaml in the project's
// folder, when the server has one, for settings set through the API, so the
// next start, which applies the folder again, keeps them. It runs inside
// the transaction that stores the change: a kiln.yaml that cannot take the
// section fails the request with nothing stored. The file is written by
// the returned function, called once the transaction has committed (a
// transaction may run again, and must touch only the database).
func (s *Server) alertsBack(projectName string, cfg *meta.AlertConfig) (write func() error, err error) {
	return s.kilnSection(projectName, "alerts", func(src []byte) ([]byte, error) { return project.SetAlerts(src, cfg) })
}

// poolsBack is alertsBack for the pools: section.
func (s *Server) poolsBack(projectName string, pools map[string]int) (write func() error, err error) {
	return s.kilnSection(projectName, "pools", func(src []byte) ([]byte, error) { return project.SetPools(src, pools) })
}

// kilnSection rewrites one top-level section of the folder's kiln.yaml in
// memory, every other line kept, and returns the function that writes it
// (through a temporary file and a rename).
func (s *Server) kilnSection(projectName, key string, edit func([]byte) ([]byte, error)) (func() error, error) {
	none := func() error { return nil }
	f, ok := s.cfg.Folders[projectName]
	if !ok {
		return none, nil
	}
	file := filepath.Join(f.Dir, project.ProjectFile)
	refuse := func(err error) error {
		return &Error{Status: http.StatusConflict, Code: "kiln_yaml",
			Message: fmt.Sprintf("this project is kept in the folder %s, and its kiln.yaml cannot take the new %s: section: %v; nothing was saved", f.Dir, key, err)}
	}
	st, err := os.Stat(file)
	if err != nil {
		return nil, refuse(err)
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, refuse(err)
	}
	out, err := edit(src)
	if err != nil {
		return nil, refuse(err)
	}
	if string(out) == string(src) {
		return none, nil
	}
	return func() error {
		if err := writeFileAtomic(file, out, st.Mode().Perm()); err != nil {
			return fmt.Errorf("saved, but writing the %s: section into %s failed: %w", key, file, err)
		}
		return nil
	}, nil
}
