package pgmeta

import (
	"context"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.DataAPIStore = (*Store)(nil)

// DefaultCallLimit is how many calls ListDataAPICalls returns by default.
const DefaultCallLimit = 100000

const dataAPICols = `a.id, a.project_id, a.path, a.current_version, a.online, v.spec, a.created_at, a.updated_at`
const dataAPIFrom = ` FROM data_apis a JOIN data_api_versions v ON v.api_id = a.id AND v.version = a.current_version`

func scanDataAPI(r scanner) (*meta.DataAPI, error) {
	a := &meta.DataAPI{}
	err := r.Scan(&a.ID, &a.ProjectID, &a.Path, &a.Version, &a.Online, &a.Spec, tm{&a.CreatedAt}, tm{&a.UpdatedAt})
	return a, err
}

// PublishDataAPI implements meta.DataAPIStore.
func (s *Store) PublishDataAPI(ctx context.Context, p *meta.PublishDataAPIParams) (*meta.DataAPI, error) {
	var out *meta.DataAPI
	err := s.InTx(ctx, func(tx meta.Store) error {
		st := tx.(*Store)
		t := qTime(now())
		var id int64
		var version int
		err := st.q().QueryRow(ctx, `SELECT id, current_version FROM data_apis WHERE project_id = $1 AND path = $2`,
			p.ProjectID, p.Path).Scan(&id, &version)
		if err != nil {
			if err := wrap(err, "data api"); !isNotFound(err) {
				return err
			}
			if err := st.q().QueryRow(ctx, `INSERT INTO data_apis (project_id, path, current_version, online, created_at, updated_at)
				VALUES ($1, $2, 1, $3, $4, $4) RETURNING id`, p.ProjectID, p.Path, true, t).Scan(&id); err != nil {
				return wrap(err, fmt.Sprintf("data api %q", p.Path))
			}
		}
		if err := st.q().QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM data_api_versions WHERE api_id = $1`, id).Scan(&version); err != nil {
			return wrap(err, "data api version")
		}
		if _, err := st.q().Exec(ctx, `INSERT INTO data_api_versions (api_id, version, spec, author, created_at) VALUES ($1, $2, $3, $4, $5)`,
			id, version, p.Spec, p.Author, t); err != nil {
			return wrap(err, "data api version")
		}
		if _, err := st.q().Exec(ctx, `UPDATE data_apis SET current_version = $2, online = $3, updated_at = $4 WHERE id = $1`,
			id, version, true, t); err != nil {
			return wrap(err, "data api")
		}
		out, err = scanDataAPI(st.q().QueryRow(ctx, `SELECT `+dataAPICols+dataAPIFrom+` WHERE a.id = $1`, id))
		return wrap(err, "data api")
	})
	return out, err
}

// GetDataAPI implements meta.DataAPIStore.
func (s *Store) GetDataAPI(ctx context.Context, projectID int64, path string) (*meta.DataAPI, error) {
	a, err := scanDataAPI(s.q().QueryRow(ctx, `SELECT `+dataAPICols+dataAPIFrom+` WHERE a.project_id = $1 AND a.path = $2`, projectID, path))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("data api %q", path))
	}
	return a, nil
}

// ListDataAPIs implements meta.DataAPIStore.
func (s *Store) ListDataAPIs(ctx context.Context, projectID int64) ([]*meta.DataAPI, error) {
	rows, err := s.q().Query(ctx, `SELECT `+dataAPICols+dataAPIFrom+` WHERE $1 = 0 OR a.project_id = $1 ORDER BY a.project_id, a.path`, projectID)
	out, err := collect(rows, err, scanDataAPI)
	return out, wrap(err, "list data apis")
}

// SetDataAPIState implements meta.DataAPIStore.
func (s *Store) SetDataAPIState(ctx context.Context, p *meta.SetDataAPIStateParams) (*meta.DataAPI, error) {
	var out *meta.DataAPI
	err := s.InTx(ctx, func(tx meta.Store) error {
		st := tx.(*Store)
		if p.Version != nil {
			var n int
			if err := st.q().QueryRow(ctx, `SELECT version FROM data_api_versions WHERE api_id = $1 AND version = $2`, p.ID, *p.Version).Scan(&n); err != nil {
				return wrap(err, fmt.Sprintf("version %d of data api %d", *p.Version, p.ID))
			}
			if _, err := st.q().Exec(ctx, `UPDATE data_apis SET current_version = $2, updated_at = $3 WHERE id = $1`, p.ID, *p.Version, qTime(now())); err != nil {
				return wrap(err, "data api")
			}
		}
		if p.Online != nil {
			res, err := st.q().Exec(ctx, `UPDATE data_apis SET online = $2, updated_at = $3 WHERE id = $1`, p.ID, *p.Online, qTime(now()))
			if err := mustAffect(res, err, fmt.Sprintf("data api %d", p.ID)); err != nil {
				return err
			}
		}
		var err error
		out, err = scanDataAPI(st.q().QueryRow(ctx, `SELECT `+dataAPICols+dataAPIFrom+` WHERE a.id = $1`, p.ID))
		return wrap(err, fmt.Sprintf("data api %d", p.ID))
	})
	return out, err
}

// ListDataAPIVersions implements meta.DataAPIStore.
func (s *Store) ListDataAPIVersions(ctx context.Context, apiID int64) ([]*meta.DataAPIVersion, error) {
	rows, err := s.q().Query(ctx, `SELECT api_id, version, spec, author, created_at FROM data_api_versions
		WHERE api_id = $1 ORDER BY version DESC`, apiID)
	out, err := collect(rows, err, func(r scanner) (*meta.DataAPIVersion, error) {
		v := &meta.DataAPIVersion{}
		return v, r.Scan(&v.APIID, &v.Version, &v.Spec, &v.Author, tm{&v.CreatedAt})
	})
	return out, wrap(err, "list data api versions")
}

// CreateDataApp implements meta.DataAPIStore.
func (s *Store) CreateDataApp(ctx context.Context, a *meta.DataApp) error {
	if a.Name == "" || a.TokenHash == "" {
		return fmt.Errorf("create data app: a name and a token hash are required")
	}
	a.CreatedAt = now()
	var exp any
	if a.ExpiresAt != nil {
		exp = qTime(*a.ExpiresAt)
	}
	err := s.q().QueryRow(ctx, `INSERT INTO data_apps (project_id, name, token_hash, secret_enc, rate_limit, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		a.ProjectID, a.Name, a.TokenHash, a.SecretEnc, a.RateLimit, exp, qTime(a.CreatedAt)).Scan(&a.ID)
	return wrap(err, fmt.Sprintf("data app %q", a.Name))
}

// ListDataApps implements meta.DataAPIStore.
func (s *Store) ListDataApps(ctx context.Context, projectID int64) ([]*meta.DataApp, error) {
	rows, err := s.q().Query(ctx, `SELECT id, project_id, name, token_hash, secret_enc, rate_limit, expires_at, created_at
		FROM data_apps WHERE $1 = 0 OR project_id = $1 ORDER BY project_id, name`, projectID)
	apps, err := collect(rows, err, func(r scanner) (*meta.DataApp, error) {
		a := &meta.DataApp{}
		return a, r.Scan(&a.ID, &a.ProjectID, &a.Name, &a.TokenHash, &a.SecretEnc, &a.RateLimit, tmNull{&a.ExpiresAt}, tm{&a.CreatedAt})
	})
	if err != nil {
		return nil, wrap(err, "list data apps")
	}
	byID := map[int64]*meta.DataApp{}
	for _, a := range apps {
		byID[a.ID] = a
		a.APIs = []int64{}
	}
	rows, err = s.q().Query(ctx, `SELECT g.app_id, g.api_id FROM data_app_grants g JOIN data_apps a ON a.id = g.app_id
		WHERE $1 = 0 OR a.project_id = $1 ORDER BY g.app_id, g.api_id`, projectID)
	pairs, err := collect(rows, err, func(r scanner) ([2]int64, error) {
		var p [2]int64
		return p, r.Scan(&p[0], &p[1])
	})
	if err != nil {
		return nil, wrap(err, "list data app grants")
	}
	for _, p := range pairs {
		if a := byID[p[0]]; a != nil {
			a.APIs = append(a.APIs, p[1])
		}
	}
	return apps, nil
}

// GrantDataApp implements meta.DataAPIStore.
func (s *Store) GrantDataApp(ctx context.Context, appID, apiID int64) error {
	_, err := s.q().Exec(ctx, `INSERT INTO data_app_grants (app_id, api_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, appID, apiID)
	return wrap(err, "data app grant")
}

// DeleteDataApp implements meta.DataAPIStore.
func (s *Store) DeleteDataApp(ctx context.Context, id int64) error {
	res, err := s.q().Exec(ctx, `DELETE FROM data_apps WHERE id = $1`, id)
	return mustAffect(res, err, fmt.Sprintf("data app %d", id))
}

// AddDataAPICalls implements meta.DataAPIStore.
func (s *Store) AddDataAPICalls(ctx context.Context, calls []*meta.DataAPICall) error {
	if len(calls) == 0 {
		return nil
	}
	return s.InTx(ctx, func(tx meta.Store) error {
		st := tx.(*Store)
		for _, c := range calls {
			if _, err := st.q().Exec(ctx, `INSERT INTO data_api_calls (at, api_id, app_id, status, latency_us, rows, cached)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, qTime(c.At), c.APIID, c.AppID, c.Status, c.LatencyUS, c.Rows, c.Cached); err != nil {
				return wrap(err, "data api call")
			}
		}
		return nil
	})
}

// ListDataAPICalls implements meta.DataAPIStore.
func (s *Store) ListDataAPICalls(ctx context.Context, p *meta.ListDataAPICallsParams) ([]*meta.DataAPICall, error) {
	since := p.Since
	if since.IsZero() {
		since = time.Unix(0, 0)
	}
	rows, err := s.q().Query(ctx, `SELECT at, api_id, app_id, status, latency_us, rows, cached FROM data_api_calls
		WHERE at >= $1 AND ($2 = 0 OR api_id = $2) AND ($3 = 0 OR app_id = $3) ORDER BY at, id LIMIT $4`,
		qTime(since), p.APIID, p.AppID, cmpOr(p.Limit, DefaultCallLimit))
	out, err := collect(rows, err, func(r scanner) (*meta.DataAPICall, error) {
		c := &meta.DataAPICall{}
		return c, r.Scan(tm{&c.At}, &c.APIID, &c.AppID, &c.Status, &c.LatencyUS, &c.Rows, &c.Cached)
	})
	return out, wrap(err, "list data api calls")
}

// RotateDataApp implements meta.DataAPIStore.
func (s *Store) RotateDataApp(ctx context.Context, p *meta.RotateDataAppParams) error {
	var exp any
	if p.ExpiresAt != nil {
		exp = qTime(*p.ExpiresAt)
	}
	res, err := s.q().Exec(ctx, `UPDATE data_apps SET token_hash = $1, secret_enc = $2, expires_at = $3 WHERE id = $4`,
		p.TokenHash, p.SecretEnc, exp, p.ID)
	return mustAffect(res, err, fmt.Sprintf("data app %d", p.ID))
}
