package runner

import (
	"runtime"
	"syscall"
)

// procAttr puts a task's process in its own group (so a kill reaches its
// children) and has the kernel SIGKILL it when the worker dies, even by
// kill -9: otherwise the orphan runs on while lease recovery starts the
// instance again elsewhere, and one instance runs twice at once.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// lockThread pins the calling goroutine to its OS thread while the task
// runs: the death signal follows the thread that forked the process, and a
// pinned thread cannot exit under it. The returned function unpins it.
func lockThread() func() {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
