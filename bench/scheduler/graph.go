package main

import (
	"fmt"
	"math/rand/v2"
)

// graph is a DAG of tasks running `true`: deps[i] are the upstreams of
// task i, all of lower index.
type graph struct {
	name string
	deps [][]int
}

func (g *graph) taskName(i int) string { return fmt.Sprintf("t%04d", i) }

// chain is n tasks, each after the previous one.
func chain(n int) *graph {
	g := &graph{name: fmt.Sprintf("%d-step chain", n), deps: make([][]int, n)}
	for i := 1; i < n; i++ {
		g.deps[i] = []int{i - 1}
	}
	return g
}

// fanout is one task, width tasks after it, and one after them all.
func fanout(width int) *graph {
	g := &graph{name: fmt.Sprintf("1 → %d → 1 fan-out", width), deps: make([][]int, width+2)}
	last := make([]int, width)
	for i := 1; i <= width; i++ {
		g.deps[i] = []int{0}
		last[i-1] = i
	}
	g.deps[width+1] = last
	return g
}

// layered is layers × width tasks; each task after up to three random
// tasks of the layer before.
func layered(layers, width int) *graph {
	r := rand.New(rand.NewPCG(1, 2))
	g := &graph{name: fmt.Sprintf("%d-node layered DAG", layers*width), deps: make([][]int, layers*width)}
	for l := 1; l < layers; l++ {
		for w := range width {
			seen := map[int]bool{}
			for range 3 {
				up := (l-1)*width + r.IntN(width)
				if !seen[up] {
					seen[up] = true
					g.deps[l*width+w] = append(g.deps[l*width+w], up)
				}
			}
		}
	}
	return g
}
