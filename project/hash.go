package project

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/kilnhq/kiln/meta"
)

// SpecHash returns the sha256, in hex, of the canonical JSON of s: struct
// fields in declaration order, map keys sorted, and upstreams and tags sorted
// without repeats because their order means nothing. Equal specs have equal
// hashes, so a server saves a new version only when the hash changes.
func SpecHash(s meta.TaskSpec) string {
	s.Upstreams = canonicalSet(s.Upstreams)
	s.Tags = canonicalSet(s.Tags)
	b, err := json.Marshal(s)
	if err != nil {
		// A TaskSpec holds only strings, numbers and maps of strings.
		panic("project: marshal task spec: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func canonicalSet(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	out := slices.Clone(list)
	slices.Sort(out)
	return slices.Compact(out)
}
