package pgmeta

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// now is the current time at the precision Postgres keeps.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// ts truncates t to microseconds: Postgres would round, and a time that
// moved forward could end a lease late or sort out of order.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// tsPtr is ts for a nullable column.
func tsPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}

// tm scans a NOT NULL timestamptz into *t, in UTC.
type tm struct{ t *time.Time }

func (x tm) Scan(v any) error {
	t, ok := v.(time.Time)
	if !ok {
		return fmt.Errorf("cannot read %T as a time", v)
	}
	*x.t = t.UTC()
	return nil
}

// tmNull scans a nullable timestamptz into *t, in UTC, nil for NULL.
type tmNull struct{ t **time.Time }

func (x tmNull) Scan(v any) error {
	if v == nil {
		*x.t = nil
		return nil
	}
	var t time.Time
	if err := (tm{&t}).Scan(v); err != nil {
		return err
	}
	*x.t = &t
	return nil
}

// jsonText encodes v for a jsonb parameter.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// mapText encodes a map for a jsonb parameter; nil is stored as {}.
func mapText(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return string(b)
}

// jsonCol scans a jsonb column into the value dst points to. Empty maps come
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
