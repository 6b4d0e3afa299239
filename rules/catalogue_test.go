package rules_test

import (
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/rules"
)

// inCatalogueDir reports whether a default rule lives in a provider file
// under rules/default/<family>/: those are held to the catalogue's bar.
func inCatalogueDir(r *rules.Rule) bool {
	rest, ok := strings.CutPrefix(r.Source, "rules/default/")
	return ok && strings.Contains(rest, "/")
}

// TestCatalogue checks the provider catalogue: every provider has a name, a
// documentation link and at least one rule; every rule of a provider file
// names its provider.
func TestCatalogue(t *testing.T) {
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cfg.Providers {
		if p.Docs == "" {
			t.Errorf("%s: provider %q has no docs link", p.Source, p.ID)
		}
		if len(p.Rules) == 0 {
			t.Errorf("%s: provider %q has no rule", p.Source, p.ID)
		}
	}
	for _, r := range cfg.Rules {
		if inCatalogueDir(r) && r.Provider == "" {
			t.Errorf("%s: rule %q names no provider", r.Source, r.ID)
		}
	}
	t.Logf("%d providers, %d rules", len(cfg.Providers), len(cfg.Rules))
}

// TestCatalogueContexts writes the key of each catalogue rule's first
// example as an env file, YAML, JSON, Python, Go, JavaScript, Java, a
// Dockerfile, a CLI flag, a URL and TOML would hold it, and wants the rule
// to find it in each. Rules outside provider files are measured, not held.
func TestCatalogueContexts(t *testing.T) {
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range detectors.CheckContexts(cfg, inCatalogueDir) {
		t.Error(f)
	}
	other := detectors.CheckContexts(cfg, func(r *rules.Rule) bool { return !inCatalogueDir(r) })
	failed := map[string]bool{}
	for _, f := range other {
		failed[f.RuleID] = true
	}
	t.Logf("rules outside provider files: %d miss at least one context", len(failed))
}
