package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

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
			if err := appendIgnore(file, args); err != nil {
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

// appendIgnore adds fingerprints to an ignore file, creating it. It writes
// only to a regular file and never through a symbolic link: a repository
// can commit .achillesignore as a link to any file of the user's (a shell's
// start-up file), and an appended line would land there. A fingerprint
// that is empty, starts with '#' or a byte-order mark, or holds a control
// character (a newline would add a line of its own) or is not UTF-8 is refused before
// anything is written. A file whose last line has no newline gets one
// first.
func appendIgnore(path string, fingerprints []string) error {
	lines := make([]string, 0, len(fingerprints))
	for _, fp := range fingerprints {
		fp = strings.TrimSpace(fp)
		if fp == "" || strings.HasPrefix(fp, "#") || strings.HasPrefix(fp, "\ufeff") || strings.IndexFunc(fp, unicode.IsControl) >= 0 || !utf8.ValidString(fp) {
			return fmt.Errorf("%q is not a fingerprint", fp)
		}
		lines = append(lines, fp)
	}
	if st, err := os.Lstat(path); err == nil {
		if err := writableIgnoreFile(path, st); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := openAppendNoFollow(path)
	if err != nil {
		return fmt.Errorf("opening %s: %w", report.Escape(path), err)
	}
	// What was opened is checked again: the name may have been swapped.
	st, err := f.Stat()
	if err == nil {
		err = writableIgnoreFile(path, st)
	}
	if err != nil {
		f.Close()
		return err
	}
	w := bufio.NewWriter(f)
	if st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			w.WriteByte('\n')
		}
	}
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writableIgnoreFile refuses anything but a regular file.
func writableIgnoreFile(path string, st fs.FileInfo) error {
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link: refusing to write through it (remove it, or pass --file)", report.Escape(path))
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file: refusing to write to it", report.Escape(path))
	}
	return nil
}
