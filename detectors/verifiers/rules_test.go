package verifiers

import (
	"sort"
	"testing"

	"github.com/achilles-sec/achilles/rules"
)

// TestDefaultRulesNameKnownVerifiers: every `verifier = "id"` of the
// default rule set names a built-in verifier. Companions the default rules
// cannot supply yet are listed in the log (those verifiers answer Unknown
// until a rule matches the companion).
func TestDefaultRulesNameKnownVerifiers(t *testing.T) {
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	all, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ruleIDs := map[string]bool{}
	for _, r := range cfg.Rules {
		ruleIDs[r.ID] = true
	}
	missing := map[string]bool{}
	for _, rv := range Rules(cfg) {
		v, ok := all[rv.Verifier]
		if !ok {
			t.Errorf("rule %s names verifier %q, which does not exist", rv.Rule, rv.Verifier)
			continue
		}
		for _, comp := range v.Companions() {
			if !ruleIDs[comp] {
				missing[rv.Verifier+" needs "+comp] = true
			}
		}
	}
	var list []string
	for m := range missing {
		list = append(list, m)
	}
	sort.Strings(list)
	for _, m := range list {
		t.Logf("no default rule yet: %s", m)
	}
}
