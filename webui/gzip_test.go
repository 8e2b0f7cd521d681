package webui

import (
	"compress/gzip"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestHandler_GzipsTextAssets(t *testing.T) {
	js := strings.Repeat("console.log('kiln');\n", 200)
	h := handler(fstest.MapFS{
		"index.html":      {Data: []byte("<div id=app></div>")},
		"assets/app-1.js": {Data: []byte(js)},
		"assets/logo.png": {Data: []byte("\x89PNG")},
	})
	for i := 0; i < 2; i++ { // the second answer comes from the cache
		req := httptest.NewRequest("GET", "/assets/app-1.js", nil)
		req.Header.Set("Accept-Encoding", "br, gzip;q=0.8")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := rec.Result()
		if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Content-Type"), "javascript") ||
			!strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("headers %v", res.Header)
		}
		if rec.Body.Len() >= len(js) {
			t.Fatalf("not compressed: %d bytes for %d", rec.Body.Len(), len(js))
		}
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(zr)
		if string(b) != js {
			t.Fatal("gzip body differs from the asset")
		}
	}
	// No gzip asked, an explicit refusal, or a binary file: served as is.
	for _, c := range []struct{ path, accept string }{{"/assets/app-1.js", ""}, {"/assets/app-1.js", "gzip;q=0"}, {"/assets/logo.png", "gzip"}} {
		req := httptest.NewRequest("GET", c.path, nil)
		req.Header.Set("Accept-Encoding", c.accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Result().Header.Get("Content-Encoding") != "" {
			t.Errorf("%s with %q was compressed", c.path, c.accept)
		}
	}
}
