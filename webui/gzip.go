package webui

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
)

// gzipCache holds compressed copies of text assets, made on first request:
// the embedded files never change while the process runs.
type gzipCache struct {
	files fs.FS
	mu    sync.Mutex
	data  map[string][]byte
}

// compressible says whether an asset is text worth compressing.
func compressible(name string) bool {
	switch path.Ext(name) {
	case ".js", ".mjs", ".css", ".html", ".json", ".svg", ".map", ".txt":
		return true
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

// serve writes the gzip copy of name and reports whether it did; the
// caller serves the plain file otherwise.
func (c *gzipCache) serve(w http.ResponseWriter, r *http.Request, name string) bool {
	if !compressible(name) || !acceptsGzip(r) || r.Header.Get("Range") != "" {
		return false
	}
	c.mu.Lock()
	b, ok := c.data[name]
	c.mu.Unlock()
	if !ok {
		raw, err := fs.ReadFile(c.files, name)
		if err != nil {
			return false
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(raw)
		_ = zw.Close()
		b = buf.Bytes()
		c.mu.Lock()
		c.data[name] = b
		c.mu.Unlock()
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Add("Vary", "Accept-Encoding")
	if r.Method == http.MethodHead {
		return true
	}
	_, _ = w.Write(b)
	return true
}
