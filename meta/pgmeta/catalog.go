package pgmeta

import (
	"context"
	"fmt"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.CatalogStore = (*Store)(nil)

// ReplaceCatalogTables implements meta.CatalogStore.
func (s *Store) ReplaceCatalogTables(ctx context.Context, projectID int64, engine string, tables []*meta.CatalogTable) error {
	return s.write(ctx, func(tx *Store) error {
		if _, err := tx.q().Exec(ctx, `DELETE FROM catalog_tables WHERE project_id = $1 AND engine = $2`, projectID, engine); err != nil {
			return wrap(err, "catalog of engine "+engine)
		}
		for _, t := range tables {
			if t.CrawledAt.IsZero() {
				t.CrawledAt = now()
			}
			info, err := jsonText(t)
			if err != nil {
				return err
			}
			_, err = tx.q().Exec(ctx, `
				INSERT INTO catalog_tables (project_id, engine, schema_name, table_name, info, crawled_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				projectID, engine, t.Schema, t.Name, info, ts(t.CrawledAt))
			if err != nil {
				return wrap(err, fmt.Sprintf("catalog table %s", t.FullName()))
			}
		}
		return nil
	})
}

// ListCatalogTables implements meta.CatalogStore.
func (s *Store) ListCatalogTables(ctx context.Context, projectID int64) ([]*meta.CatalogTable, error) {
	rows, err := s.q().Query(ctx, `
		SELECT info FROM catalog_tables WHERE project_id = $1 ORDER BY engine, schema_name, table_name`, projectID)
	return collect(rows, err, func(r scanner) (*meta.CatalogTable, error) {
		t := &meta.CatalogTable{}
		err := r.Scan(jsonCol{t})
		return t, err
	})
}

// AddCatalogChange implements meta.CatalogStore.
func (s *Store) AddCatalogChange(ctx context.Context, c *meta.CatalogChange) error {
	if c.At.IsZero() {
		c.At = now()
	}
	err := s.q().QueryRow(ctx, `
		INSERT INTO catalog_changes (project_id, engine, table_name, kind, column_name, detail, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		c.ProjectID, c.Engine, c.Table, c.Kind, c.Column, c.Detail, ts(c.At)).Scan(&c.ID)
	return wrap(err, "schema change of table "+c.Table)
}

// ListCatalogChanges implements meta.CatalogStore.
func (s *Store) ListCatalogChanges(ctx context.Context, projectID int64, table string, limit int) ([]*meta.CatalogChange, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.q().Query(ctx, `
		SELECT id, project_id, engine, table_name, kind, column_name, detail, at
		FROM catalog_changes WHERE project_id = $1 AND table_name = $2 ORDER BY id DESC LIMIT $3`, projectID, table, limit)
	return collect(rows, err, func(r scanner) (*meta.CatalogChange, error) {
		c := &meta.CatalogChange{}
		err := r.Scan(&c.ID, &c.ProjectID, &c.Engine, &c.Table, &c.Kind, &c.Column, &c.Detail, tm{&c.At})
		return c, err
	})
}
