package project

import "github.com/goccy/go-yaml/ast"

// flag reads true or false.
func (d *decoder) flag(key string, n ast.Node) bool {
	n = d.unwrap(n)
	v, ok := n.(*ast.BoolNode)
	if !ok {
		if n != nil {
			d.errorf(n, "%s: want true or false, not %q", key, n.GetToken().Value)
		}
		return false
	}
	return v.Value
}
