package sqlitemeta

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// timeLayout stores times as fixed-width UTC text, so that they sort and
// compare as strings. Microseconds match Postgres, so both stores return the
// same times.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// now is the current time as the store keeps it.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// fmtTimePtr returns nil for a nil time, for a NULL column.
func fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

func parseTime(v any) (time.Time, error) {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case time.Time:
		return v.UTC(), nil
	default:
		return time.Time{}, fmt.Errorf("cannot read %T as a time", v)
	}
	for _, layout := range readLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time", s)
}

// readLayouts are the time texts parseTime reads: timeLayout and other
// RFC 3339 forms, and SQLite's own CURRENT_TIMESTAMP form, in UTC.
var readLayouts = []string{time.RFC3339Nano, time.DateTime}

// tm scans a NOT NULL time column into *t.
type tm struct{ t *time.Time }

func (x tm) Scan(v any) error {
	t, err := parseTime(v)
	if err != nil {
		return err
	}
	*x.t = t
	return nil
}

// tmNull scans a nullable time column into *t, nil for NULL.
type tmNull struct{ t **time.Time }

func (x tmNull) Scan(v any) error {
	if v == nil {
		*x.t = nil
		return nil
	}
	t, err := parseTime(v)
	if err != nil {
		return err
	}
	*x.t = &t
	return nil
}

// jsonText encodes v for a JSON column.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// mapText encodes a map for a JSON column; nil is stored as {}.
func mapText(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return string(b)
}

// jsonCol scans a JSON column into the value dst points to. Empty maps come
// back nil, whichever way they were stored.
type jsonCol struct{ dst any }

func (x jsonCol) Scan(v any) error {
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		return nil
	default:
		return fmt.Errorf("cannot read %T as JSON", v)
	}
	if m, ok := x.dst.(*map[string]string); ok && strings.TrimSpace(string(b)) == "{}" {
		*m = nil
		return nil
	}
	return json.Unmarshal(b, x.dst)
}

// idList passes ids as one JSON array argument, read in SQL with
// json_each, so that a list of any length is a single bind variable.
type idList []int64

func (l idList) Value() (driver.Value, error) {
	if l == nil {
		return "[]", nil
	}
	b, err := json.Marshal([]int64(l))
	return string(b), err
}
