package project

import (
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/kilnhq/kiln/meta"
)

var (
	projectNameRe = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	engineNameRe  = projectNameRe
	envNameRe     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// The engine kinds a project may name.
var engineKinds = []string{"duckdb", "postgres", "mysql"}

// projectFile is kiln.yaml as read, with the places later checks point at.
type projectFile struct {
	p              *Project
	paramAt        map[string]pos
	nameAt         pos
	broken         bool // kiln.yaml is not a YAML mapping
	defaultEngine  pos
	taskDirs       []item
	taskDirsAbsent bool
}

// readProjectFile reads kiln.yaml into a Project.
func readProjectFile(src string, probs *problems) *projectFile {
	pf := &projectFile{p: &Project{}, taskDirsAbsent: true}
	d := &decoder{file: ProjectFile, lines: lineMap{first: 1}, probs: probs}
	root := d.parse(src)
	if d.broken {
		pf.broken = true
		return pf
	}
	p := pf.p
	d.mapping(root, ProjectFile, fields{
		"name": func(k, v ast.Node) {
			p.Name, _ = d.text("name", v)
			pf.nameAt = d.valuePos(k, v)
		},
		"description": func(_, v ast.Node) { p.Description, _ = d.text("description", v) },
		"default_engine": func(k, v ast.Node) {
			p.DefaultEngine, _ = d.text("default_engine", v)
			pf.defaultEngine = d.valuePos(k, v)
		},
		"engines": func(_, v ast.Node) { pf.readEngines(d, v) },
		"params": func(_, v ast.Node) {
			p.Config.Params, pf.paramAt = d.textMap("params", v)
			checkParamNames(d, "params", v)
		},
		"defaults":  func(_, v ast.Node) { pf.readDefaults(d, v) },
		"alerts":    func(_, v ast.Node) { p.Config.Alerts, p.AlertsSet = readAlerts(d, v), true },
		"pools":     func(_, v ast.Node) { p.Config.Pools, p.PoolsSet = readPools(d, v), true },
		"sensitive": func(_, v ast.Node) { p.Config.Sensitive = readSensitive(d, v) },
		"task_dirs": func(_, v ast.Node) {
			pf.taskDirs, pf.taskDirsAbsent = d.list("task_dirs", v), false
		},
	})
	if p.Name == "" {
		d.probs.add(ProjectFile, pos{line: 1}, "name is required: the project name, like edu")
	} else if !projectNameRe.MatchString(p.Name) {
		d.probs.add(ProjectFile, pf.nameAt, "name %q: want lower-case letters, digits, _ and -, starting with a letter", p.Name)
	}
	if pf.taskDirsAbsent {
		pf.taskDirs = []item{{value: DefaultTaskDir}}
	}
	pf.checkDefaultEngine(probs)
	return pf
}

func (pf *projectFile) readEngines(d *decoder, n ast.Node) {
	n = d.unwrap(n)
	if n == nil || n.Type() == ast.NullType {
		return
	}
	it, ok := mapIter(n)
	if !ok {
		d.errorf(n, "engines: want a mapping of engine name to its settings, not %s", kind(n))
		return
	}
	for it.Next() {
		name := keyName(it.Key())
		if !engineNameRe.MatchString(name) {
			d.errorf(it.Key(), "engine name %q: want lower-case letters, digits, _ and -, starting with a letter", name)
		}
		pf.p.Engines = append(pf.p.Engines, readEngine(d, name, it.Key(), it.Value()))
	}
	sort.SliceStable(pf.p.Engines, func(i, j int) bool { return pf.p.Engines[i].Name < pf.p.Engines[j].Name })
}

func readEngine(d *decoder, name string, key, n ast.Node) Engine {
	e := Engine{Name: name}
	what := "engines." + name
	var kindAt, dsnAt, pathAt, pwAt ast.Node
	d.mapping(n, what, fields{
		"kind":         func(_, v ast.Node) { e.Kind, _ = d.text(what+".kind", v); kindAt = v },
		"dsn":          func(_, v ast.Node) { e.DSN, _ = d.text(what+".dsn", v); dsnAt = v },
		"path":         func(_, v ast.Node) { e.Path, _ = d.text(what+".path", v); pathAt = v },
		"password_env": func(_, v ast.Node) { e.PasswordEnv, _ = d.text(what+".password_env", v); pwAt = v },
		"options":      func(_, v ast.Node) { e.Options, _ = d.textMap(what+".options", v) },
	})
	switch {
	case kindAt == nil:
		d.errorf(key, "%s: kind is required: one of %s", what, strings.Join(engineKinds, ", "))
	case !slices.Contains(engineKinds, e.Kind):
		d.errorf(kindAt, "%s.kind: unknown kind %q: want one of %s", what, e.Kind, strings.Join(engineKinds, ", "))
	case e.Kind == "duckdb" && dsnAt != nil:
		d.errorf(dsnAt, "%s.dsn: a duckdb engine takes a path, not a dsn", what)
	case e.Kind == "duckdb" && pwAt != nil:
		d.errorf(pwAt, "%s.password_env: a duckdb engine has no password", what)
	case e.Kind != "duckdb" && pathAt != nil:
		d.errorf(pathAt, "%s.path: only duckdb engines take a path; use dsn", what)
	case e.Kind != "duckdb" && e.DSN == "":
		d.errorf(key, "%s: dsn is required for a %s engine", what, e.Kind)
	}
	if e.DSN != "" && dsnHasPassword(e.DSN) {
		// The DSN is not quoted back: it holds a secret.
		d.errorf(dsnAt, "%s.dsn: the DSN carries a password; remove it and name an environment variable in password_env", what)
	}
	if pwAt != nil && !envNameRe.MatchString(e.PasswordEnv) {
		d.errorf(pwAt, "%s.password_env: %q is not an environment variable name", what, e.PasswordEnv)
	}
	return e
}

// dsnHasPassword reports whether a DSN carries a password: user:pass@ in a
// URL or a MySQL DSN, or a password= setting.
func dsnHasPassword(dsn string) bool {
	lower := strings.ToLower(dsn)
	if strings.Contains(lower, "password=") || strings.Contains(lower, "pwd=") {
		return true
	}
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			return true
		}
	}
	userinfo := dsn
	if i := strings.Index(dsn, "://"); i >= 0 {
		userinfo = dsn[i+3:]
	}
	at := strings.LastIndex(userinfo, "@")
	if at < 0 {
		return false
	}
	userinfo = userinfo[:at]
	if strings.ContainsAny(userinfo, "/(") {
		return false // the @ is past the host, not after a user
	}
	colon := strings.Index(userinfo, ":")
	return colon >= 0 && colon < len(userinfo)-1
}

func (pf *projectFile) readDefaults(d *decoder, n ast.Node) {
	td := &pf.p.Config.Defaults
	d.mapping(n, "defaults", fields{
		"owner": func(_, v ast.Node) { td.Owner, _ = d.text("defaults.owner", v) },
		"retries": func(_, v ast.Node) {
			td.Retries, _ = d.integer("defaults.retries", v, false)
		},
		"retry_delay": func(_, v ast.Node) {
			dur, _ := d.duration("defaults.retry_delay", v)
			td.RetryDelay = meta.Duration(dur)
		},
		"timeout": func(_, v ast.Node) {
			dur, _ := d.duration("defaults.timeout", v)
			td.Timeout = meta.Duration(dur)
		},
		"pool": func(_, v ast.Node) { td.Pool, _ = d.text("defaults.pool", v) },
		"timezone": func(_, v ast.Node) {
			td.Timezone, _ = d.text("defaults.timezone", v)
			if msg := checkTimezone(td.Timezone); msg != "" {
				d.errorf(v, "defaults.timezone: %s", msg)
			}
		},
		"tier": func(_, v ast.Node) {
			s, _ := d.text("defaults.tier", v)
			td.Tier = meta.Tier(s)
			if !validTier(td.Tier) {
				d.errorf(v, "defaults.tier: unknown tier %q: want core or normal", s)
			}
		},
		"memory_limit_mb": func(_, v ast.Node) {
			td.MemoryLimitMB, _ = d.integer("defaults.memory_limit_mb", v, false)
		},
	})
}

// taskDirList returns the task folders, cleaned, and reports bad ones.
func (pf *projectFile) taskDirList(probs *problems) []string {
	var dirs []string
	for _, it := range pf.taskDirs {
		dir := path.Clean(strings.TrimSuffix(strings.TrimPrefix(it.value, "./"), "/"))
		if strings.HasPrefix(it.value, "/") || !fs.ValidPath(dir) {
			probs.add(ProjectFile, it.at, "task_dirs: %q must be a folder inside the project", it.value)
			continue
		}
		if !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

func (pf *projectFile) checkDefaultEngine(probs *problems) {
	name := pf.p.DefaultEngine
	if name == "" {
		return
	}
	for _, e := range pf.p.Engines {
		if e.Name == name {
			return
		}
	}
	probs.add(ProjectFile, pf.defaultEngine, "default_engine: unknown engine %q%s", name, engineList(pf.p.Engines))
}

func engineList(es []Engine) string {
	if len(es) == 0 {
		return ": the project has no engines"
	}
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.Name
	}
	return " (engines: " + strings.Join(names, ", ") + ")"
}

func validTier(t meta.Tier) bool { return t == "" || t == meta.TierCore || t == meta.TierNormal }

// checkTimezone returns why tz is not a usable IANA time zone, or "".
func checkTimezone(tz string) string {
	if tz == "Local" {
		return `"Local" differs from machine to machine: name a zone like Asia/Shanghai`
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return fmt.Sprintf("unknown time zone %q: want an IANA name like Asia/Shanghai or UTC", tz)
	}
	return ""
}
