package dataapi

import (
	"context"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/engine"
)

// count returns how many rows the rendered query yields.
func count(ctx context.Context, eng engine.Engine, sql string, args []any) (int64, error) {
	rows, err := eng.Query(ctx, "SELECT count(*) FROM ("+sql+") AS kiln_api", args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return 0, err
		}
		switch x := v[0].(type) {
		case int64:
			n = x
		default:
			_, _ = fmt.Sscan(fmt.Sprint(x), &n)
		}
	}
	return n, rows.Err()
}

// jsonValue turns a driver value into something encoding/json writes well.
func jsonValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339Nano)
	case fmt.Stringer:
		return x.String()
	}
	return v
}
