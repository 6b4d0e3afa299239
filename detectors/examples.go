package detectors

import (
	"fmt"

	"github.com/achilles-sec/achilles/rules"
)

// ExampleFailure is a rule example that did not behave as declared.
type ExampleFailure struct {
	RuleID string
	// Positive is true for an example that should have matched and did not.
	Positive bool
	Index    int
	Reason   string
}

func (f ExampleFailure) String() string {
	kind := "negativeExamples"
	if f.Positive {
		kind = "examples"
	}
	return fmt.Sprintf("rule %s: %s[%d]: %s", f.RuleID, kind, f.Index, f.Reason)
}

// CheckExamples scans every rule's examples with the whole rule set, as a
// scan would, and returns those that fail: a positive example must yield a
// match of its rule (at full confidence, unless the rule's own confidence is
// lower), a negative example must yield none. With requireBoth, a rule that
// lacks positive or negative examples fails too.
func CheckExamples(cfg *rules.Config, requireBoth bool) []ExampleFailure {
	e := New(cfg)
	// An example is about its own rule: a more confident rule that also
	// matches it (and would shadow it in a scan) does not make it fail.
	e.keepShadowed = true
	var fails []ExampleFailure
	for _, r := range cfg.Rules {
		if requireBoth && len(r.Examples) == 0 {
			fails = append(fails, ExampleFailure{RuleID: r.ID, Positive: true, Index: 0, Reason: "the rule has no positive example"})
		}
		if requireBoth && len(r.NegativeExamples) == 0 {
			fails = append(fails, ExampleFailure{RuleID: r.ID, Index: 0, Reason: "the rule has no negative example"})
		}
		for i, ex := range r.Examples {
			if !e.matchesRule(r, ex) {
				fails = append(fails, ExampleFailure{RuleID: r.ID, Positive: true, Index: i, Reason: "no match"})
			}
		}
		for i, ex := range r.NegativeExamples {
			if e.matchesRule(r, ex) {
				fails = append(fails, ExampleFailure{RuleID: r.ID, Index: i, Reason: "matched"})
			}
		}
	}
	return fails
}

func (e *Engine) matchesRule(r *rules.Rule, example string) bool {
	path := r.ExamplePath
	if path == "" {
		path = "example.txt"
	}
	if r.Path != nil && !r.Path.MatchString(path) {
		return false
	}
	if r.Regex == nil {
		return true
	}
	for _, m := range e.Scan([]byte(example)) {
		if m.Rule != r || m.ChecksumFailed {
			continue
		}
		if e.cfg.Allowed(r, rules.Occurrence{Secret: m.Secret, Match: m.Text, Line: m.LineText, Path: path}, false) {
			continue
		}
		return true
	}
	return false
}
