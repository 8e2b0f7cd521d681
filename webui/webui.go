// Package webui serves the browser UI embedded in the kiln binary: the Vue
// single-page app that `make ui` builds from web/ into dist/. A build made
// without Node (dist/ holding only its placeholder) serves a page that says
// how to build the UI, so a plain `go build` always works.
package webui

import (
	"embed"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Handler serves the UI: files under dist/ as they are, and index.html for
// every other path so the app's history-mode routes survive a reload.
// Paths of the server's own surfaces (/api/, /data/, /healthz, /metrics)
// never fall back to the app: an unknown one is a plain 404.
//
// KILN_UI_DIR, when set, names a folder to serve instead of the embedded
// build (a UI built elsewhere, e.g. `vite build --outDir`), so the UI can be
// rebuilt and tested without rebuilding the binary.
func Handler() http.Handler {
	if dir := os.Getenv("KILN_UI_DIR"); dir != "" {
		return handler(os.DirFS(dir))
	}
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist/ is embedded at compile time; this cannot fail
	}
	return handler(sub)
}

func handler(files fs.FS) http.Handler {
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		index = nil
	}
	static := http.FileServerFS(files)
	gz := &gzipCache{files: files, data: map[string][]byte{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if reserved(r.URL.Path) {
			http.NotFound(w, r)
			return
		}
		if index == nil {
			notBuilt(w)
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name != "" && name != "index.html" {
			if st, err := fs.Stat(files, name); err == nil && !st.IsDir() {
				// Vite names built assets by content hash, so they never change.
				if strings.HasPrefix(name, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				if gz.serve(w, r, name) {
					return
				}
				static.ServeHTTP(w, r)
				return
			}
			if path.Ext(name) != "" && strings.HasPrefix(name, "assets/") {
				http.NotFound(w, r) // a missing asset must not turn into HTML
				return
			}
		}
		// index.html is not cached so a new build is picked up at once.
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(index)
	})
}

func reserved(p string) bool {
	for _, pre := range []string{"/api/", "/data/"} {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return p == "/healthz" || p == "/metrics"
}

func notBuilt(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`<!doctype html><meta charset="utf-8"><title>Kiln</title><h1>Kiln</h1>
<p>The server is running, but this binary was built without the web UI.
Build it with <code>make ui</code> (needs Node 20 and npm; it runs <code>npm ci</code> and
<code>npm run build</code> in <code>web/</code>) and then rebuild kiln, or simply use <code>make run</code>.</p>
<p>Meanwhile use the CLI (<code>kiln --help</code>) or the REST API
(<a href="/api/v1/openapi.json">OpenAPI document</a>).</p>`))
}
