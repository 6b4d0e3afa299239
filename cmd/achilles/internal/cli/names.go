package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/detectors/verifiers"
	"github.com/achilles-sec/achilles/detectors/verify"
	"github.com/achilles-sec/achilles/rules"
)

// checkNames fails when a rule of a user's file names a checksum or a
// verifier achilles does not have ("githb", "gthub"): such a rule would
// load and silently check nothing. The error names the file, the rule and
// the name. The built-in rules are held to the same by a test.
func checkNames(cfg *rules.Config) error {
	var verifierIDs map[string]bool
	for _, r := range cfg.Rules {
		if strings.HasPrefix(r.Source, "rules/default/") {
			continue
		}
		if r.Checksum != "" {
			if _, ok := detectors.Checksums[r.Checksum]; !ok {
				return usageError{&rules.Error{File: r.Source, RuleID: r.ID, Err: fmt.Errorf("checksum %q is not known (known: %s)", r.Checksum, strings.Join(checksumNames(), ", "))}}
			}
		}
		if r.Verifier != "" {
			if verifierIDs == nil {
				ids, err := knownVerifiers(cfg)
				if err != nil {
					return usageError{err}
				}
				verifierIDs = ids
			}
			if !verifierIDs[r.Verifier] {
				return usageError{&rules.Error{File: r.Source, RuleID: r.ID, Err: fmt.Errorf("verifier %q is not known: neither built in (achilles providers lists them) nor declared in [[verify.http]]", r.Verifier)}}
			}
		}
	}
	return nil
}

// knownVerifiers is every verifier id a rule may name: the built-in ones
// and those the configuration declares.
func knownVerifiers(cfg *rules.Config) (map[string]bool, error) {
	builtin, err := verifiers.Builtin()
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for id := range builtin {
		ids[id] = true
	}
	specs, err := verify.ParseHTTPSpecs(cfg.Verify)
	if err != nil {
		return nil, err
	}
	for _, s := range specs {
		ids[s.ID] = true
	}
	return ids, nil
}

func checksumNames() []string {
	var out []string
	for n := range detectors.Checksums {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
