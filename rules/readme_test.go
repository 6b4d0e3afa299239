package rules_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/rules"
)

// TestReadmeExamples loads every TOML example in the README and runs its
// rules' examples, so the documentation cannot drift from the code.
func TestReadmeExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```toml\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("no TOML examples in the README")
	}
	for i, b := range blocks {
		cfg, err := rules.LoadBytes("README.md example", b[1])
		if err != nil {
			t.Errorf("example %d: %v", i+1, err)
			continue
		}
		for _, f := range detectors.CheckExamples(cfg, false) {
			t.Errorf("example %d: %s", i+1, f)
		}
	}
}
