package webui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, method, p string) (int, string, http.Header) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, p, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body), rec.Result().Header
}

func TestHandler_HistoryFallbackAndAssets(t *testing.T) {
	h := handler(fstest.MapFS{
		"index.html":      {Data: []byte("<div id=app></div>")},
		"assets/app-1.js": {Data: []byte("console.log(1)")},
		"favicon.svg":     {Data: []byte("<svg/>")},
	})
	for _, p := range []string{"/", "/ops", "/ops/instances/12", "/datamap/tables/dws.x"} {
		code, body, hdr := get(t, h, "GET", p)
		if code != 200 || !strings.Contains(body, "id=app") || hdr.Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: %d %q %v", p, code, body, hdr)
		}
	}
	code, body, hdr := get(t, h, "GET", "/assets/app-1.js")
	if code != 200 || body != "console.log(1)" || !strings.Contains(hdr.Get("Cache-Control"), "immutable") {
		t.Errorf("asset: %d %q %v", code, body, hdr)
	}
	if code, _, _ := get(t, h, "GET", "/assets/gone-2.js"); code != 404 {
		t.Errorf("missing asset: %d, want 404", code)
	}
	for _, p := range []string{"/api/v1/nope", "/data/v1/x", "/healthz", "/metrics"} {
		if code, _, _ := get(t, h, "GET", p); code != 404 {
			t.Errorf("%s: %d, want 404 (never the app)", p, code)
		}
	}
	if code, _, _ := get(t, h, "POST", "/ops"); code != 405 {
		t.Errorf("POST: %d, want 405", code)
	}
}

func TestHandler_NotBuiltSaysHowToBuild(t *testing.T) {
	h := handler(fstest.MapFS{".keep": {Data: []byte("x")}})
	code, body, _ := get(t, h, "GET", "/ops")
	if code != 200 || !strings.Contains(body, "make ui") {
		t.Fatalf("%d %q", code, body)
	}
}

func TestHandler_EmbeddedServesSomething(t *testing.T) {
	code, body, _ := get(t, Handler(), "GET", "/")
	if code != 200 || !(strings.Contains(body, "make ui") || strings.Contains(body, "<div id=\"app\">")) {
		t.Fatalf("%d %q", code, body)
	}
}

func TestHandler_UIDirOverridesEmbedded(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>from a folder</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KILN_UI_DIR", dir)
	code, body, _ := get(t, Handler(), "GET", "/ops")
	if code != 200 || !strings.Contains(body, "from a folder") {
		t.Fatalf("%d %q", code, body)
	}
}
