package cli

import (
	"os"
	"time"

	"github.com/spf13/pflag"
)

// LineageOptions configure the data map's crawler and OpenLineage events
// of `kiln server`.
type LineageOptions struct {
	// CatalogInterval is the time between two crawls of every project.
	CatalogInterval time.Duration
	// OpenLineageURL receives a POST of each OpenLineage run event.
	OpenLineageURL string
	// OpenLineageFile gets each OpenLineage run event as a JSON line.
	OpenLineageFile string
}

func (o *LineageOptions) addFlags(f *pflag.FlagSet) {
	interval := time.Hour
	if d, err := time.ParseDuration(os.Getenv("KILN_CATALOG_INTERVAL")); err == nil {
		interval = d
	}
	f.DurationVar(&o.CatalogInterval, "catalog-interval", interval, "time between two crawls of the data map's catalog (env KILN_CATALOG_INTERVAL)")
	f.StringVar(&o.OpenLineageURL, "openlineage-url", os.Getenv("KILN_OPENLINEAGE_URL"), "POST OpenLineage run events to this URL (env KILN_OPENLINEAGE_URL)")
	f.StringVar(&o.OpenLineageFile, "openlineage-file", os.Getenv("KILN_OPENLINEAGE_FILE"), "append OpenLineage run events to this file as JSON lines (env KILN_OPENLINEAGE_FILE)")
}
