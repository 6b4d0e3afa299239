// Package triage drops findings a team has already dealt with: ignore files
// (.achillesignore, .gitleaksignore) and a baseline report. It runs after a
// scan, on findings, in one place.
package triage

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// IgnoreFiles are read from the top of the scanned target (its folder, or a
// range's base commit), in this order.
var IgnoreFiles = []string{".achillesignore", ".gitleaksignore"}

// Filter suppresses findings by fingerprint.
type Filter struct {
	exact map[string]bool // content-based fingerprints: rule:secrethash:path
	// positional gitleaks entries: commit:path:rule:line or path:rule:line
	positional []positional
}

type positional struct {
	commit, path, rule string
	line               int
}

// NewFilter returns an empty filter.
func NewFilter() *Filter { return &Filter{exact: map[string]bool{}} }

// Len is the number of entries.
func (f *Filter) Len() int { return len(f.exact) + len(f.positional) }

// Add records one entry: an achilles fingerprint, or a gitleaks one
// ("commit:path:rule:line", or "path:rule:line" for folder scans).
func (f *Filter) Add(entry string) {
	entry = strings.TrimSpace(entry)
	if entry == "" || strings.HasPrefix(entry, "#") {
		return
	}
	f.exact[entry] = true
	// A gitleaks entry ends in :rule:line; the path may itself hold ':'.
	i := strings.LastIndexByte(entry, ':')
	if i < 0 {
		return
	}
	line, ok := lineNumber(entry[i+1:])
	if !ok {
		return
	}
	rest := entry[:i]
	j := strings.LastIndexByte(rest, ':')
	if j < 0 {
		return
	}
	p := positional{rule: rest[j+1:], line: line, path: rest[:j]}
	if k := strings.IndexByte(p.path, ':'); k >= 0 && isCommit(p.path[:k]) {
		p.commit, p.path = p.path[:k], p.path[k+1:]
	}
	f.positional = append(f.positional, p)
}

// lineNumber reads the line of a gitleaks entry: decimal digits only (no
// sign), at least 1.
func lineNumber(s string) (int, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1
}

// isCommit reports whether s is a full SHA-1 or SHA-256 object name, so a
// folder path whose first part happens to be 40 bytes long is not taken
// for a commit.
func isCommit(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	return strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}

// utf8BOM is what some Windows editors write at the start of a text file.
const utf8BOM = "\ufeff"

// Read adds every entry of an ignore file's content, one per line; blank
// lines and lines starting with '#' are skipped. A line longer than 1 MiB
// is an error.
func (f *Filter) Read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			line = strings.TrimPrefix(line, utf8BOM)
			first = false
		}
		f.Add(line)
	}
	return sc.Err()
}

// LoadBaseline adds the fingerprints of an earlier JSON report (achilles'
// own, or gitleaks' with its "Fingerprint" field).
func (f *Filter) LoadBaseline(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading baseline: %w", err)
	}
	fps, err := baselineFingerprints(data)
	if err != nil {
		return fmt.Errorf("baseline %s: %w", path, err)
	}
	for _, fp := range fps {
		f.Add(fp)
	}
	return nil
}

// baselineFingerprints reads the fingerprints of a JSON report: an array of
// findings, each with a string "fingerprint" (achilles) or "Fingerprint"
// (gitleaks). A finding without one is an error rather than silently never
// matching.
func baselineFingerprints(data []byte) ([]string, error) {
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	var entries []map[string]json.RawMessage
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("not a JSON report (an array of findings): %w", err)
	}
	fps := make([]string, 0, len(entries))
	for i, e := range entries {
		raw, ok := e["fingerprint"]
		if !ok {
			raw, ok = e["Fingerprint"]
		}
		var fp string
		if !ok || json.Unmarshal(raw, &fp) != nil || strings.TrimSpace(fp) == "" {
			return nil, fmt.Errorf("finding %d has no \"fingerprint\" (achilles) or \"Fingerprint\" (gitleaks) string", i+1)
		}
		fps = append(fps, fp)
	}
	return fps, nil
}

// Suppressed reports whether a finding is covered by an entry.
func (f *Filter) Suppressed(x finding.Finding) bool {
	if f.exact[x.Fingerprint] {
		return true
	}
	for _, p := range f.positional {
		if p.rule == x.RuleID && p.path == x.Path && p.line == x.Line && (p.commit == "" || p.commit == x.OriginID()) {
			return true
		}
	}
	return false
}

// Apply returns the findings not suppressed and how many were.
func (f *Filter) Apply(fs []finding.Finding) ([]finding.Finding, int) {
	if f.Len() == 0 {
		return fs, 0
	}
	out := fs[:0]
	n := 0
	for _, x := range fs {
		if f.Suppressed(x) {
			n++
			continue
		}
		out = append(out, x)
	}
	return out, n
}
