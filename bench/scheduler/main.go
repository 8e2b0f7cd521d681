// Command scheduler measures Kiln's scheduler against a real `kiln server`
// process on loopback with shell tasks running `true`: a 100-step chain, a
// 1 → 200 → 1 fan-out on 8 slots, a 1,000-node layered DAG, 50 runs back
// to back, and the upstream-success → downstream-start latency; then, in
// process on a SQLite store, the planner on a 10,000-task DAG for one day
// and the planning of a 365-day backfill of 200 tasks; and the idle
// server's memory. With DAGU_BIN (or -dagu) it runs the same graphs on
// Dagu and prints both and the ratio. It prints figures; it asserts nothing.
//
//	go run ./bench/scheduler -kiln bin/kiln [-only chain,fanout,dag,runs,planner,backfill,idle]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
)

func main() {
	bin := flag.String("kiln", "bin/kiln", "path of the kiln binary")
	dagu := flag.String("dagu", os.Getenv("DAGU_BIN"), "path of a Dagu binary to compare with (env DAGU_BIN)")
	only := flag.String("only", "chain,fanout,dag,runs,planner,backfill,idle", "which benchmarks to run")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the in-process benchmarks here")
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	for _, b := range strings.Split(*only, ",") {
		var err error
		switch b {
		case "chain", "fanout", "dag", "runs":
			err = benchGraph(*bin, *dagu, b)
		case "planner":
			err = benchPlanner(10_000)
		case "backfill":
			err = benchBackfill(200, 365)
		case "idle":
			err = benchIdle(*bin)
		default:
			err = fmt.Errorf("unknown benchmark %q", b)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, b+":", err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
	}
}
