package cli

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

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
the repository read it.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				file = defaultIgnoreFile()
			}
			if err := triage.AppendIgnore(file, args); err != nil {
				return usageError{err}
			}
			fmt.Fprintf(io.ErrOut, "achilles: %d fingerprints added to %s\n", len(args), file)
			return nil
		},
	}
	add.Flags().StringVar(&file, "file", "", "ignore file to append to (default: .achillesignore at the work tree's root)")
	cmd.AddCommand(add)
	return cmd
}

// defaultIgnoreFile is .achillesignore at the root of the work tree the
// command runs in, as `achilles git` and the hooks read it from there.
func defaultIgnoreFile() string {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if top := strings.TrimSpace(string(out)); err == nil && top != "" {
		return filepath.Join(top, triage.IgnoreFiles[0])
	}
	return triage.IgnoreFiles[0]
}
