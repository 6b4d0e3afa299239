package rules_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/rules"
)

// corpusDir holds realistic files with generated credentials (positive/)
// and look-alikes (negative/); see testdata/corpus/gen.py.
const corpusDir = "../testdata/corpus"

// Targets the default rules must meet on the corpus.
const (
	minCorpusRecall = 0.90
	maxCorpusFPRate = 0.05
)

// corpusFindings scans one file as a directory scan does with the default
// options: path-only rules, then the content with decoding at the default
// depth, dropping what a rule's path restriction or an allowlist that needs
// the path removes. It returns the rule ids reported.
func corpusFindings(cfg *rules.Config, e *detectors.Engine, path string, data []byte) []string {
	var ids []string
	for _, r := range cfg.Rules {
		if r.Pattern != "" || r.Path == nil || r.SkipReport || !r.Path.MatchString(path) {
			continue
		}
		o := rules.Occurrence{Path: path}
		if !cfg.Allowed(r, o, false) && !cfg.Allowed(r, o, true) {
			ids = append(ids, r.ID)
		}
	}
	if bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
		return ids
	}
	for _, m := range e.ScanDecoded(data, detectors.DefaultDecodeDepth) {
		r := m.Rule
		if r.SkipReport || r.Path != nil && !r.Path.MatchString(path) {
			continue
		}
		if cfg.Allowed(r, rules.Occurrence{Secret: m.Secret, Match: m.Text, Line: m.LineText, Path: path}, false) {
			continue
		}
		ids = append(ids, r.ID)
	}
	return ids
}

// corpusFiles lists the regular files under dir, as paths relative to it.
func corpusFiles(t *testing.T, dir string) []string {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestCorpus measures the default rules on the corpus: recall over the
// positive files (a file counts when a rule of its family, per expect.toml,
// reports it) and the share of negative files with any finding.
func TestCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skip("no corpus")
	}
	var expect struct {
		Families map[string][]string `toml:"families"`
	}
	if _, err := toml.DecodeFile(filepath.Join(corpusDir, "expect.toml"), &expect); err != nil {
		t.Fatal(err)
	}
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	e := detectors.New(cfg)
	scan := func(kind, rel string) []string {
		data, err := os.ReadFile(filepath.Join(corpusDir, kind, rel))
		if err != nil {
			t.Fatal(err)
		}
		// The path a scan of the project would show: the family folder
		// (positive) or category folder (negative) stripped.
		_, path, _ := strings.Cut(rel, "/")
		return corpusFindings(cfg, e, path, data)
	}

	pos := corpusFiles(t, filepath.Join(corpusDir, "positive"))
	found, foundAny := 0, 0
	for _, rel := range pos {
		family, _, _ := strings.Cut(rel, "/")
		ids := scan("positive", rel)
		if len(ids) > 0 {
			foundAny++
		}
		prefixes := expect.Families[family]
		ok := len(prefixes) == 0 && len(ids) > 0
		for _, id := range ids {
			for _, p := range prefixes {
				if strings.HasPrefix(id, p) {
					ok = true
				}
			}
		}
		if ok {
			found++
		} else {
			t.Logf("missed: positive/%s (reported: %v)", rel, ids)
		}
	}
	neg := corpusFiles(t, filepath.Join(corpusDir, "negative"))
	flagged := 0
	for _, rel := range neg {
		if ids := scan("negative", rel); len(ids) > 0 {
			flagged++
			t.Logf("false positive: negative/%s (reported: %v)", rel, ids)
		}
	}
	if len(pos) == 0 || len(neg) == 0 {
		t.Fatalf("corpus incomplete: %d positive, %d negative files", len(pos), len(neg))
	}
	recall := float64(found) / float64(len(pos))
	fpRate := float64(flagged) / float64(len(neg))
	t.Logf("recall %.3f (%d/%d; any rule %d), false-positive rate %.3f (%d/%d)",
		recall, found, len(pos), foundAny, fpRate, flagged, len(neg))
	if recall < minCorpusRecall {
		t.Errorf("recall %.3f below %.2f", recall, minCorpusRecall)
	}
	if fpRate > maxCorpusFPRate {
		t.Errorf("false-positive rate %.3f above %.2f", fpRate, maxCorpusFPRate)
	}
}
