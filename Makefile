# Kiln's build. `make run` starts a server with the demo project on the
# embedded default; `make test` runs the whole test suite.
GO       ?= go
BIN      := bin/kiln
DATA     ?= .kiln
ADDR     ?= 127.0.0.1:8080
PKGS     := ./...
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: build run test test-short test-ui ui lint bench clean

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/kiln

run: ui build
	$(BIN) server --data $(DATA) --addr $(ADDR) --project examples/edu

test:
	$(GO) test -count=1 -timeout 30m $(PKGS)

# The web UI (web/, Vue + Vite) builds into webui/dist, which the binary
# embeds; npm ci runs again only when the lockfile changed.
ui: web/node_modules/.package-lock.json
	cd web && npm run build:fast

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund

# End-to-end tests of the UI in Debian's Chromium against a real server.
test-ui: ui
	cd web && npm run typecheck && npm run test:e2e

test-short:
	$(GO) test -short $(PKGS)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)
	$(GO) vet $(PKGS)
	staticcheck $(PKGS)

bench: build
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	$(GO) run ./bench/core -kiln $(BIN)

clean:
	rm -rf bin
