package main

import "errors"

// runDagu runs one benchmark on a Dagu binary; not wired yet.
func runDagu(bin, which string) (float64, error) {
	return 0, errors.New("not measured")
}
