package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kilnhq/kiln/logstore"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/params"
	"github.com/kilnhq/kiln/sqlsplit"
)

func splitStatements(text string) []string {
	var out []string
	for _, s := range sqlsplit.Split(text) {
		out = append(out, s.SQL)
	}
	return out
}

// runProcess runs a shell or python task in its own process group and
// working directory, with the parameters in its environment and its address
// space capped with ulimit -v.
func (r *Runner) runProcess(ctx context.Context, inst *meta.Instance, spec *meta.TaskSpec, proj *meta.Project, pc *params.Context, lw *logstore.Writer) Outcome {
	script, err := params.Render(spec.Script, pc)
	if err != nil {
		return failed(err)
	}
	env, err := params.Env(pc)
	if err != nil {
		return failed(err)
	}
	dir, release, err := r.workDir(inst)
	if err != nil {
		return failed(err)
	}
	defer release()
	interp, args, err := r.scriptArgs(spec, script, dir)
	if err != nil {
		return failed(err)
	}
	memMB := cmp.Or(spec.MemoryLimitMB, proj.Config.Defaults.MemoryLimitMB, r.cfg.DefaultMemoryLimitMB)
	// ulimit in a tiny sh wrapper, then exec: the task's process keeps the
	// group and the limit, and no Kiln code runs between fork and exec.
	// Without a limit the interpreter starts directly: the wrapper's exec
	// of /bin/sh cost a whole process start per task.
	cmd := exec.Command(interp, args...)
	if memMB > 0 {
		wrapper := fmt.Sprintf(`ulimit -v %d || exit 97; exec "$0" "$@"`, memMB*1024)
		cmd = exec.Command("/bin/sh", append([]string{"-c", wrapper, interp}, args...)...)
	}
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), env...)
	cmd.Env = append(cmd.Env, "KILN_INSTANCE_ID="+strconv.FormatInt(inst.ID, 10), "KILN_WORK_DIR="+dir)
	cmd.Stdout, cmd.Stderr = lw.File(), lw.File()
	cmd.SysProcAttr = procAttr()
	lw.Printf("running %s %s in %s (memory limit %d MB)", interp, scriptName(args), dir, memMB)
	defer lockThread()()
	if err := cmd.Start(); err != nil {
		return Outcome{State: meta.StateFailed, Rendered: script, Error: fmt.Sprintf("start %s: %v", interp, err)}
	}
	done := make(chan struct{})
	go r.killOnDone(ctx, cmd.Process.Pid, done)
	err = cmd.Wait()
	// The leader exited: children left in its group die now, before the
	// working directory goes back to the pool.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	close(done)
	out := Outcome{State: meta.StateSuccess, Rendered: script}
	if ps := cmd.ProcessState; ps != nil {
		out.CPUSeconds = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	if err != nil {
		out.State = meta.StateFailed
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 97 {
			out.Error = "could not apply the memory limit"
		} else {
			out.Error = fmt.Sprintf("%s exited: %v", interp, err)
		}
	}
	return out
}

// maxInlineScript is the largest script passed on the command line (-c);
// Linux caps one argument at 128 KiB. Larger ones are written to a file.
const maxInlineScript = 64 << 10

// scriptArgs returns the interpreter and its arguments for a script: the
// script itself after -c when it is small (writing a file per task was a
// good part of a short task's cost), else a file in dir. Python scripts
// that use __file__ keep the file, which -c would not set.
func (r *Runner) scriptArgs(spec *meta.TaskSpec, script, dir string) (string, []string, error) {
	interp, file := r.cfg.Shell, "script.sh"
	if spec.Type == meta.TaskPython {
		interp, file = r.cfg.Python, "script.py"
	}
	inline := len(script) <= maxInlineScript && !r.cfg.KeepWorkDirs &&
		(spec.Type != meta.TaskPython || !strings.Contains(script, "__file__"))
	if inline {
		return interp, []string{"-c", script}, nil
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(script), 0o644); err != nil {
		return "", nil, err
	}
	return interp, []string{file}, nil
}

// scriptName names the script in the log: its file, or -c when inline
// (the rendered script is in the instance's record).
func scriptName(args []string) string {
	if args[0] == "-c" {
		return "-c SCRIPT"
	}
	return args[0]
}

// workDir returns an empty working directory for inst and the function
// that gives it back: a reused one (see workDirs), or with KeepWorkDirs
// DATA/work/<instance>, kept for debugging.
func (r *Runner) workDir(inst *meta.Instance) (string, func(), error) {
	if !r.cfg.KeepWorkDirs {
		dir, err := r.dirs.get()
		return dir, func() { r.dirs.put(dir) }, err
	}
	dir := filepath.Join(r.cfg.WorkDir, strconv.FormatInt(inst.ID, 10))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("create working directory: %w", err)
	}
	return dir, func() {}, nil
}

// killOnDone ends the whole process group when ctx ends: SIGTERM, then
// SIGKILL after the grace period, so children of the task die too.
func (r *Runner) killOnDone(ctx context.Context, pid int, done <-chan struct{}) {
	select {
	case <-done:
		return // the leader exited and runProcess killed its group
	case <-ctx.Done():
	}
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	t := time.NewTimer(r.cfg.KillGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// baseEnv is the environment a task inherits: enough to find interpreters,
// nothing of the server's secrets.
func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "PYENV_ROOT", "PYENV_VERSION"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
