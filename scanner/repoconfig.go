package scanner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// MaxConfigFile is the largest rules or ignore file read from a scanned
// target.
const MaxConfigFile = 1 << 20

// ReadTargetFile reads a configuration or ignore file that a scanned folder
// carries at its top: only a regular file of at most MaxConfigFile bytes,
// never through a symbolic link (a repository could point it anywhere on the
// scanning machine). It returns an error wrapping fs.ErrNotExist when there is
// none.
func ReadTargetFile(root, name string) ([]byte, error) {
	p := filepath.Join(root, name)
	st, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if err := checkConfigFile(name, st.Mode(), st.Size()); err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The file may have been swapped between the two looks.
	if st2, err := f.Stat(); err != nil || !os.SameFile(st, st2) {
		return nil, fmt.Errorf("%s changed while it was opened: refused", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(data) > MaxConfigFile {
		return nil, fmt.Errorf("%s is larger than %d bytes: refused", name, MaxConfigFile)
	}
	return data, nil
}

func checkConfigFile(name string, mode fs.FileMode, size int64) error {
	switch {
	case mode&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link: refused", name)
	case !mode.IsRegular():
		return fmt.Errorf("%s is not a regular file: refused", name)
	case size > MaxConfigFile:
		return fmt.Errorf("%s is larger than %d bytes: refused", name, MaxConfigFile)
	}
	return nil
}

// ReadRevisionFile reads the file at the top of the tree of commit rev (a
// full object name, as RangeBase returns) with the same limits as
// ReadTargetFile: a regular blob, not a symbolic link or a submodule, of at
// most MaxConfigFile bytes. It returns an error wrapping fs.ErrNotExist
// when the commit has no such file.
func ReadRevisionFile(ctx context.Context, dir, rev, name string) ([]byte, error) {
	if !isHash(rev) {
		return nil, fmt.Errorf("reading %s at %q: not an object name", name, rev)
	}
	out, err := gitCommand(ctx, dir, "ls-tree", "-z", "--full-tree", "-l", rev, "--", name).Output()
	if err != nil {
		return nil, fmt.Errorf("listing %s at %s: %w", name, shortName(rev), gitErr(err))
	}
	entry, _, _ := bytes.Cut(out, []byte{0})
	if len(entry) == 0 {
		return nil, fmt.Errorf("%s at %s: %w", name, shortName(rev), fs.ErrNotExist)
	}
	// "<mode> SP <type> SP <object> SP <size> TAB <path>"
	meta, _, _ := bytes.Cut(entry, []byte{'\t'})
	fields := strings.Fields(string(meta))
	if len(fields) != 4 {
		return nil, fmt.Errorf("listing %s at %s: unexpected output", name, shortName(rev))
	}
	mode := fs.FileMode(0)
	switch fields[0] {
	case "100644", "100755":
	case "120000":
		mode = fs.ModeSymlink
	default:
		mode = fs.ModeIrregular
	}
	size, _ := strconv.ParseInt(fields[3], 10, 64)
	if err := checkConfigFile(name, mode, size); err != nil {
		return nil, err
	}
	data, err := gitCommand(ctx, dir, "cat-file", "blob", fields[2]).Output()
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w", name, shortName(rev), gitErr(err))
	}
	if len(data) > MaxConfigFile {
		return nil, fmt.Errorf("%s is larger than %d bytes: refused", name, MaxConfigFile)
	}
	return data, nil
}

// RangeBase is the commit a range scan takes repository configuration and
// ignore files from: the commit the range starts at ("A" of A..B, the merge
// base of A...B), or, for revisions without one (a pushed new branch:
// "<sha>" plus exclusions), the newest excluded commit the range reaches.
// It returns "" when the range has no base (a history of its own).
func RangeBase(ctx context.Context, dir string, revisions []string) (string, error) {
	if len(revisions) == 0 {
		return "", nil
	}
	first := revisions[0]
	if a, b, ok := strings.Cut(first, "..."); ok {
		if a == "" {
			a = "HEAD"
		}
		if b == "" {
			b = "HEAD"
		}
		ca, err := resolveCommit(ctx, dir, a)
		if err != nil {
			return "", err
		}
		cb, err := resolveCommit(ctx, dir, b)
		if err != nil {
			return "", err
		}
		out, err := gitCommand(ctx, dir, "merge-base", ca, cb).Output()
		if err != nil {
			return "", nil // unrelated histories: no base
		}
		return strings.TrimSpace(string(out)), nil
	}
	if a, _, ok := strings.Cut(first, ".."); ok {
		if a == "" {
			a = "HEAD"
		}
		return resolveCommit(ctx, dir, a)
	}
	// No range operator: the boundary of the revision walk.
	cmd := gitCommand(ctx, dir, "rev-list", "--boundary", "--stdin")
	cmd.Stdin = strings.NewReader(strings.Join(stdinRevisions(ctx, dir, revisions), "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("finding the base of the range: %w", gitErr(err))
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "-") && isHash(line[1:]) {
			return line[1:], nil
		}
	}
	return "", nil
}

// stdinRevisions writes revisions as `git rev-list --stdin` takes them: it
// refuses options there (so nothing given can become one), and "--not
// --remotes" becomes the exclusion of each remote-tracking tip.
func stdinRevisions(ctx context.Context, dir string, revisions []string) []string {
	var out []string
	not := false
	for _, r := range revisions {
		switch {
		case r == "--not":
			not = !not
		case r == "--remotes":
			tips, _ := gitCommand(ctx, dir, "for-each-ref", "--format=%(objectname)", "refs/remotes").Output()
			for _, t := range strings.Fields(string(tips)) {
				if not {
					out = append(out, "^"+t)
				} else {
					out = append(out, t)
				}
			}
		case not && !strings.HasPrefix(r, "^"):
			out = append(out, "^"+r)
		default:
			out = append(out, r)
		}
	}
	return out
}

func resolveCommit(ctx context.Context, dir, rev string) (string, error) {
	if strings.HasPrefix(rev, "-") {
		return "", fmt.Errorf("%w: revision %q starts with '-'", ErrTarget, rev)
	}
	out, err := gitCommand(ctx, dir, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}").Output()
	if err != nil {
		return "", fmt.Errorf("%w: %q is not a commit of the repository: %v", ErrTarget, rev, gitErr(err))
	}
	return strings.TrimSpace(string(out)), nil
}

// ChangedFiles lists, for each of names at the top of the tree, the first
// commit of the range (oldest first) that changed it, as a finding of rule
// ruleID: a range that edits the files which decide what its own scan
// reports must not pass unseen.
func ChangedFiles(ctx context.Context, dir string, revisions, names []string, ruleID, description string) ([]finding.Finding, error) {
	if len(revisions) == 0 || len(names) == 0 {
		return nil, nil
	}
	args := []string{"log", "--no-show-signature", "--no-renames", "--no-ext-diff", "--no-textconv", "--reverse", "-z", "-c", "--name-only",
		"--format=%x01%H%x00%an%x00%ae%x00%aI%x00%s", "--stdin", "--"}
	for _, n := range names {
		args = append(args, ":(top,literal)"+n)
	}
	cmd := gitCommand(ctx, dir, args...)
	cmd.Stdin = strings.NewReader(strings.Join(stdinRevisions(ctx, dir, revisions), "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing changes to %s in the range: %w", strings.Join(names, ", "), gitErr(err))
	}
	seen := map[string]bool{}
	var fs []finding.Finding
	for _, rec := range bytes.Split(out, []byte{1}) {
		parts := strings.Split(string(rec), "\x00")
		if len(parts) < 6 {
			continue
		}
		hash, author, email, date, subject := parts[0], parts[1], parts[2], parts[3], parts[4]
		if t, err := time.Parse(time.RFC3339, date); err == nil {
			date = t.UTC().Format(time.RFC3339)
		}
		for _, p := range parts[5:] {
			p = strings.TrimLeft(p, "\n")
			if p == "" || seen[p] {
				continue
			}
			seen[p] = true
			fs = append(fs, finding.Finding{
				RuleID: ruleID, Description: description, Confidence: "high",
				Kind: finding.KindGit, Path: p, Fingerprint: finding.MakeFingerprint(ruleID, hash, p),
				Git: &finding.GitOrigin{Commit: hash, Author: author, Email: email, Date: date, Message: subject},
			})
		}
	}
	finding.Sort(fs)
	return fs, nil
}

func shortName(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// gitErr adds git's own message to an exec error.
func gitErr(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%s", trimStderr(ee.Stderr))
	}
	return err
}
