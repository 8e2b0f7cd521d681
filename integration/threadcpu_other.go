//go:build !linux

package integration

import "time"

// threadCPU is not measured outside Linux.
func threadCPU() time.Duration { return 0 }
