package project

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// scaffoldFiles are the sample tasks kiln init writes next to kiln.yaml.
var scaffoldFiles = []struct {
	path string
	mode fs.FileMode
	text string
}{
	{"tasks/hello.sh", 0o755, `#!/usr/bin/env bash
# kiln:
#   schedule: "0 1 * * *"
#   timeout: 10m
#   description: A sample shell task. Kiln fills in ${bizdate} and the like first; every parameter is also in the environment as KILN_*.
set -euo pipefail
echo "${greeting} for ${bizdate}; the environment says KILN_BIZDATE=$KILN_BIZDATE"
`},
	{"tasks/hello_model.sql", 0o644, `/* kiln
target: demo.hello
write_mode: overwrite_partition
partition_column: dt
schedule: "0 2 * * *"
upstreams: [hello]
description: A sample SQL model, one partition of demo.hello per business date.
*/
SELECT
  '${bizdate}'     AS dt,
  '${greeting}'    AS greeting,
  '${month_start}' AS month_start
`},
}

const scaffoldProject = `# A Kiln project: this file and one file per task under tasks/.
# The format is described in docs/projects.md of the Kiln repository.
name: %s
description: A new Kiln project
default_engine: warehouse
engines:
  warehouse:
    kind: duckdb        # no path: the embedded warehouse in the server's data directory
params:
  greeting: hello from ${project}
defaults:
  owner: data-team
  retries: 1
  retry_delay: 5m
  timeout: 1h
  tier: normal
task_dirs: [tasks]
`

// Scaffold writes a new project into dir, as kiln init does: kiln.yaml, a
// sample shell task and a sample SQL model that depends on it. An empty name
// is taken from the folder's name. It refuses to overwrite a kiln.yaml that
// has content, or any sample file already there.
func Scaffold(dir, name string) error {
	if name == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("init %s: %w", dir, err)
		}
		name = folderName(filepath.Base(abs))
	}
	if !projectNameRe.MatchString(name) {
		return fmt.Errorf("init %s: project name %q: want lower-case letters, digits, _ and -, starting with a letter", dir, name)
	}
	projectPath := filepath.Join(dir, ProjectFile)
	if b, err := os.ReadFile(projectPath); err == nil && strings.TrimSpace(string(b)) != "" {
		return fmt.Errorf("init %s: %s already exists; this folder holds a project", dir, ProjectFile)
	}
	for _, f := range scaffoldFiles {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.path))); err == nil {
			return fmt.Errorf("init %s: %s already exists", dir, f.path)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("init %s: %w", dir, err)
	}
	if err := os.WriteFile(projectPath, fmt.Appendf(nil, scaffoldProject, name), 0o644); err != nil {
		return fmt.Errorf("init %s: %w", dir, err)
	}
	for _, f := range scaffoldFiles {
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("init %s: %w", dir, err)
		}
		if err := os.WriteFile(p, []byte(f.text), f.mode); err != nil {
			return fmt.Errorf("init %s: %w", dir, err)
		}
	}
	return nil
}

// folderName turns a folder name into a project name: lower case, with _
// for anything else than letters, digits, _ and -.
func folderName(base string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
