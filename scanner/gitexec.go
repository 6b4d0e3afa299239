package scanner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
)

// gitPiped is a started git command whose output is read from Stdout; its
// error output is kept for messages.
type gitPiped struct {
	*exec.Cmd
	Stdout io.ReadCloser
	Stderr bytes.Buffer
}

// startGit starts git in dir with its output piped (and, when stdin is not
// nil, its input read from stdin).
func startGit(ctx context.Context, dir string, stdin io.Reader, args ...string) (*gitPiped, error) {
	g := &gitPiped{Cmd: gitCommand(ctx, dir, args...)}
	g.Cmd.Stdin = stdin
	g.Cmd.Stderr = &g.Stderr
	out, err := g.Cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	g.Stdout = out
	if err := g.Cmd.Start(); err != nil {
		return nil, fmt.Errorf("running git: %w", err)
	}
	return g, nil
}
