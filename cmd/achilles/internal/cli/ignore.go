package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/report"
	"github.com/achilles-sec/achilles/scanner/triage"
	"github.com/spf13/cobra"
)

func newIgnoreCmd(io *IO) *cobra.Command {
	cmd := &cobra.Command{Use: "ignore", Short: "Manage .achillesignore"}
	var file string
	add := &cobra.Command{
		Use:   "add FINGERPRINT...",
		Short: "Append fingerprints (the 'id' of a finding) to .achillesignore",
		Long: `Append fingerprints (the 'id' of a finding) to .achillesignore at the root
of the git work tree (or in the current folder outside one), where scans of
the repository read it. Only a regular file is written, never through a
symbolic link, and a fingerprint holding a control character is refused.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				file = defaultIgnoreFile(cmd.Context())
			}
			if err := triage.AppendIgnore(file, args); err != nil {
				return usageError{err}
			}
			fmt.Fprintf(io.ErrOut, "achilles: %d fingerprints added to %s\n", len(args), report.Escape(file))
			return nil
		},
	}
	add.Flags().StringVar(&file, "file", "", "ignore file to append to (default: .achillesignore at the work tree's root)")
	cmd.AddCommand(add)
	return cmd
}

// defaultIgnoreFile is .achillesignore at the root of the work tree the
// command runs in, as `achilles git` and the hooks read it from there. A
// top that does not contain the current folder (a repository's
// core.worktree pointing elsewhere) is not used: the file goes in the
// current folder instead.
func defaultIgnoreFile(ctx context.Context) string {
	if ctx == nil {
		ctx = context.Background()
	}
	out, err := scanner.GitCommand(ctx, ".", "rev-parse", "--show-toplevel").Output()
	top := strings.TrimSpace(string(out))
	if err != nil || top == "" {
		return triage.IgnoreFiles[0]
	}
	cwd, err := os.Getwd()
	if err != nil {
		return triage.IgnoreFiles[0]
	}
	if real, err := filepath.EvalSymlinks(cwd); err == nil {
		cwd = real
	}
	if rel, err := filepath.Rel(top, cwd); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return triage.IgnoreFiles[0]
	}
	return filepath.Join(top, triage.IgnoreFiles[0])
}
