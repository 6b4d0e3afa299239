package rules_test

import (
	"testing"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/rules"
)

// TestDefaultRuleExamples runs every positive and negative example of every
// default rule through the whole engine, and fails on a rule without both.
func TestDefaultRuleExamples(t *testing.T) {
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Rules) == 0 {
		t.Fatal("no default rules")
	}
	for _, f := range detectors.CheckExamples(cfg, true) {
		t.Error(f)
	}
}
