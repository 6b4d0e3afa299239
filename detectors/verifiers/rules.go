package verifiers

import (
	"github.com/achilles-sec/achilles/detectors/verify"
	"github.com/achilles-sec/achilles/rules"
)

// Rules lists each rule's verifier in the rules' load order, as verify.Run
// takes them: when a secret is matched by rules of two providers, the
// earlier rule's verifier is the one asked.
func Rules(cfg *rules.Config) []verify.RuleVerifier {
	var out []verify.RuleVerifier
	for _, r := range cfg.Rules {
		if r.Verifier != "" {
			out = append(out, verify.RuleVerifier{Rule: r.ID, Verifier: r.Verifier})
		}
	}
	return out
}
