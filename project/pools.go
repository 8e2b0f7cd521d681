package project

import (
	"github.com/goccy/go-yaml/ast"

	"github.com/kilnhq/kiln/meta"
)

// readPools reads kiln.yaml's pools: mapping of pool name to slots, the
// most instances of the project's tasks that run at once in that pool.
func readPools(d *decoder, n ast.Node) map[string]int {
	n = d.unwrap(n)
	if n == nil || n.Type() == ast.NullType {
		return nil
	}
	it, ok := mapIter(n)
	if !ok {
		d.errorf(n, "pools: want a mapping of pool name: slots, like {etl: 4}, not %s", kind(n))
		return nil
	}
	out := map[string]int{}
	for it.Next() {
		name := keyName(it.Key())
		slots, ok := d.integer("pools."+name, it.Value(), true)
		if !ok {
			continue
		}
		if err := meta.ValidatePool(name, slots); err != nil {
			d.errorf(it.Value(), "pools: %v", err)
			continue
		}
		out[name] = slots
	}
	return out
}
