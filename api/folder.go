package api

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/project"
)

// Folder is a project folder the server applied at start (`kiln server
// --project DIR`). A task saved through the API (the studio's editor and
// settings panel) is also written into it, so the folder stays the source
// of truth: the next start applies the folder again and keeps the change,
// and the file can be committed with the rest of the project. Alert
// settings and pools set through the API go into its kiln.yaml
// (kilnfile.go).
type Folder struct {
	Dir      string   // absolute path of the project folder
	TaskDirs []string // kiln.yaml's task_dirs, slash-separated
}

// lockFolder serializes the changes of one project that read a file of its
// folder, store a change and write the file back: two at once would each
// write back what they read, and the last write would drop the other's
// change. It returns the unlock.
func (s *Server) lockFolder(projectName string) func() {
	m, _ := s.folderLocks.LoadOrStore(projectName, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// checkOnDisk refuses (409 changed_on_disk), before anything is stored, to
// write over or remove a file of the project folder that says something
// the server did not store: file is the task's file as its current version
// cur knows it (nil: the task has no file there yet), and content is what
// is about to be written there ("" when the file is about to be removed).
// A missing file, or one that already holds content, is fine.
func (s *Server) checkOnDisk(projectName, file string, cur *meta.Version, content string, tc project.TaskContext) error {
	f, ok := s.cfg.Folders[projectName]
	if !ok || file == "" || !filepath.IsLocal(filepath.FromSlash(file)) {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(f.Dir, filepath.FromSlash(file)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if content != "" && string(b) == content {
		return nil
	}
	if cur == nil {
		return &Error{Status: http.StatusConflict, Code: "changed_on_disk",
			Message: fmt.Sprintf("%s already exists in the project folder %s and is not this task's file; move or delete it there first, or save the task under another path", file, f.Dir)}
	}
	if spec, problems := project.LoadTask(file, string(b), tc); len(problems) > 0 || !saysVersion(spec, cur, tc) {
		return &Error{Status: http.StatusConflict, Code: "changed_on_disk",
			Message: fmt.Sprintf("%s was changed in the project folder %s since the server stored version %d of task %s; apply the folder (kiln apply, or restart the server) or undo that change, then try again: nothing was saved", file, f.Dir, cur.Version, cur.Spec.Name)}
	}
	return nil
}

// writeBack writes a saved task's file into its project's folder, if the
// server has one for the project, and removes the file the task was saved
// in before when the path changed. It writes a temporary file and renames
// it, so a reader never sees half a file.
func (s *Server) writeBack(projectName, file, prevFile, content string) error {
	f, ok := s.cfg.Folders[projectName]
	if !ok {
		return nil
	}
	target := filepath.Join(f.Dir, filepath.FromSlash(file))
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	// A symlinked file stays a link: the file it points to is rewritten.
	if st, err := os.Lstat(target); err == nil && st.Mode()&os.ModeSymlink != 0 {
		if real, err := filepath.EvalSymlinks(target); err == nil {
			target = real
		}
	}
	mode := os.FileMode(0o644) // a new file; a rewritten one keeps its mode
	if st, err := os.Stat(filepath.Join(f.Dir, filepath.FromSlash(cmp.Or(prevFile, file)))); err == nil {
		mode = st.Mode().Perm()
	}
	if err := writeFileAtomic(target, []byte(content), mode); err != nil {
		return err
	}
	if prevFile != "" && prevFile != file {
		if _, err := s.removeFromFolder(projectName, prevFile); err != nil {
			return err
		}
	}
	return nil
}

// currentFile is a task's current version as its file: the folder's file as
// written (comments and layout kept) while it says what the version says,
// otherwise the version rendered.
func (s *Server) currentFile(projectName string, v *meta.Version, tc project.TaskContext) (TaskFile, error) {
	if content, ok := s.folderFile(projectName, v, tc); ok {
		return TaskFile{Path: v.Spec.Path, Content: content}, nil
	}
	content, err := project.RenderTask(v.Spec, tc)
	if err != nil {
		return TaskFile{}, err
	}
	return TaskFile{Path: project.TaskPath(v.Spec), Content: content}, nil
}

// writeFileAtomic writes a temporary file next to target and renames it
// over target, so a reader never sees half a file.
func writeFileAtomic(target string, content []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(target), ".kiln-save-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(content); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil { // on disk before the rename: a crash leaves the old file or the new one
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return nil
}

// checkFolderPath refuses, before anything is saved, a task file the
// project folder would not read back: one outside kiln.yaml's task_dirs,
// or in a hidden folder or file (a name starting with a dot), which loading
// the folder skips.
func (s *Server) checkFolderPath(projectName, file string) error {
	f, ok := s.cfg.Folders[projectName]
	if !ok {
		return nil
	}
	clean := strings.TrimPrefix(path.Clean("/"+file), "/")
	for part := range strings.SplitSeq(clean, "/") {
		if strings.HasPrefix(part, ".") {
			return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_task",
				Message: "the task file has 1 problem(s); nothing was saved",
				Details: []project.Problem{{File: clean, Line: 1,
					Message: fmt.Sprintf("%s is hidden (its name starts with a dot), and loading the project folder skips hidden files and folders: choose another path", part)}}}
		}
	}
	dirs := f.TaskDirs
	if len(dirs) == 0 {
		dirs = []string{project.DefaultTaskDir}
	}
	for _, d := range dirs {
		d = strings.Trim(path.Clean("/"+d), "/")
		if d == "" || strings.HasPrefix(clean, d+"/") {
			return nil
		}
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_task",
		Message: "the task file has 1 problem(s); nothing was saved",
		Details: []project.Problem{{File: clean, Line: 1,
			Message: fmt.Sprintf("this project is kept in the folder %s: a task file must sit in one of its task_dirs (%s)", f.Dir, strings.Join(dirs, ", "))}}}
}

// folderFile is the task's file as it sits in the project folder, comments
// and layout included, when the server has the folder and the file still
// says what the current version says; otherwise the caller renders the
// version.
func (s *Server) folderFile(projectName string, v *meta.Version, tc project.TaskContext) (string, bool) {
	f, ok := s.cfg.Folders[projectName]
	if !ok || v.Spec.Path == "" || !filepath.IsLocal(filepath.FromSlash(v.Spec.Path)) {
		return "", false
	}
	b, err := os.ReadFile(filepath.Join(f.Dir, filepath.FromSlash(v.Spec.Path)))
	if err != nil {
		return "", false
	}
	spec, problems := project.LoadTask(v.Spec.Path, string(b), tc)
	if len(problems) > 0 || !saysVersion(spec, v, tc) {
		return "", false
	}
	return string(b), true
}

// saysVersion tells whether a task file's spec says what version v says.
// With auto_upstreams, lineage may have found other upstreams since v was
// stored (another task now writes a table this one reads): the file still
// says v when all else matches and v's upstreams include those it declares.
func saysVersion(spec meta.TaskSpec, v *meta.Version, tc project.TaskContext) bool {
	if project.SpecHash(withLineageUpstreams(spec, tc)) == v.Hash {
		return true
	}
	if !spec.AutoUpstreams {
		return false
	}
	for _, u := range spec.Upstreams {
		if !slices.Contains(v.Spec.Upstreams, u) {
			return false
		}
	}
	spec.Upstreams = v.Spec.Upstreams
	return project.SpecHash(spec) == v.Hash
}
