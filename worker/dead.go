package worker

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// deadLocalWorker reports whether a worker name of the default form
// host:pid names a process of this host that no longer exists, so its
// instances can be recovered without waiting for their leases to expire.
// A pid reused by another process reads as alive: the lease then decides,
// as for workers on other hosts.
func deadLocalWorker(name string) bool {
	host, pidText, ok := strings.Cut(name, ":")
	if !ok {
		return false
	}
	me, _ := os.Hostname()
	pid, err := strconv.Atoi(pidText)
	if host != me || err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
