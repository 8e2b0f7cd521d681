package engine

import (
	"context"
	"io"
)

// Exporter is an optional capability: an engine that writes a query's
// whole result in a file format itself, streaming it to w without holding
// it in memory. Find it with AsExporter.
type Exporter interface {
	// Export writes the result of query (one SELECT) to w in format
	// ("csv" with a header line, "ndjson", or "parquet" where the engine
	// can) and returns the row count.
	Export(ctx context.Context, query, format string, w io.Writer) (int64, error)
}

// Unwrapper is implemented by engines that wrap another one (a renamed
// shared engine), so capabilities of the inner engine can be found.
type Unwrapper interface {
	Unwrap() Engine
}

// AsExporter returns e's Exporter capability, looking through wrappers.
func AsExporter(e Engine) (Exporter, bool) {
	for e != nil {
		if x, ok := e.(Exporter); ok {
			return x, true
		}
		u, ok := e.(Unwrapper)
		if !ok {
			return nil, false
		}
		e = u.Unwrap()
	}
	return nil, false
}
