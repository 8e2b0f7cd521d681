package mysql

import (
	"strconv"

	"github.com/kilnhq/kiln/engine"
)

// The MySQL driver only drops its connection when a context is cancelled;
// the server would go on running the statement. KILL QUERY from a second
// connection really stops it.
var _ engine.QueryKiller = dialect{}

func (dialect) ConnectionIDSQL() string { return "SELECT CONNECTION_ID()" }

func (dialect) KillQuerySQL(id int64) string { return "KILL QUERY " + strconv.FormatInt(id, 10) }
