//go:build !linux

package runner

import "syscall"

// procAttr puts a task's process in its own group, so a kill reaches its
// children. Only Linux can have it killed when the worker dies.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func lockThread() func() { return func() {} }
