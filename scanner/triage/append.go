package triage

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// AppendIgnore adds fingerprints to an ignore file, creating it. It writes
// only to a regular file and never through a symbolic link: a repository
// can commit .achillesignore as a link to any file of the user's (a shell's
// start-up file), and an appended line would land there. A fingerprint that
// Read would not give back as that entry (empty, starting with '#' or a
// byte-order mark, holding a control character such as a newline, or not
// UTF-8) is refused before anything is written. A file whose last line has
// no newline gets one first, so the first new entry is not glued to it.
func AppendIgnore(path string, fingerprints []string) error {
	lines := make([]string, 0, len(fingerprints))
	for _, fp := range fingerprints {
		fp = strings.TrimSpace(fp)
		if fp == "" || strings.HasPrefix(fp, "#") || strings.HasPrefix(fp, utf8BOM) || strings.IndexFunc(fp, unicode.IsControl) >= 0 || !utf8.ValidString(fp) {
			return fmt.Errorf("%q is not a fingerprint", fp)
		}
		if !IsEntry(fp) {
			return fmt.Errorf("%q is not a fingerprint: want an achilles fingerprint (rule:hash:path, the \"fingerprint\" of a finding) or a gitleaks entry ([commit:]path:rule:line)", fp)
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
		return fmt.Errorf("opening %q: %w", path, err)
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
		return fmt.Errorf("%q is a symbolic link: refusing to write through it (remove it, or pass --file)", path)
	case !st.Mode().IsRegular():
		return fmt.Errorf("%q is not a regular file: refusing to write to it", path)
	}
	return nil
}

// IsEntry reports whether s has the shape of an ignore entry: an achilles
// fingerprint ("rule:<16 hex digits>:path", finding.MakeFingerprint) or a
// gitleaks one ("commit:path:rule:line", or "path:rule:line").
func IsEntry(s string) bool {
	if rule, rest, ok := strings.Cut(s, ":"); ok && rule != "" && len(rest) > 17 && rest[16] == ':' &&
		strings.Trim(rest[:16], "0123456789abcdef") == "" {
		return true
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return false
	}
	if _, ok := lineNumber(s[i+1:]); !ok {
		return false
	}
	j := strings.LastIndexByte(s[:i], ':')
	return j > 0 && j < i-1
}
