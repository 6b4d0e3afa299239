package rules

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
)

// RepositoryFiles are the rules files achilles discovers in a scanned folder
// or repository, in order of preference: the first one present is used.
// gitleaks users expect their .gitleaks.toml to be honoured.
var RepositoryFiles = []string{".achilles.toml", ".gitleaks.toml"}

// MaxRepositoryFile is the largest repository rules or ignore file read.
const MaxRepositoryFile = 1 << 20

// RepositoryOptions say what repository configuration may do beyond adding
// rules and allowlists.
type RepositoryOptions struct {
	// AllowVerify keeps the file's [verify] table (endpoints, declared
	// verifiers) and its rules' verifier names: the user trusts the
	// repository to say where its secrets are sent.
	AllowVerify bool
}

// LoadRepository loads a rules file found in the scanned target. Such a file
// is written by whoever controls the repository, which a scanner must not
// trust: it is always layered over the built-in rules, and may only add rules
// and allowlists. It never switches a built-in rule off or changes one
// (beyond adding allowlists to it), never chains another file, and, unless
// opts.AllowVerify, never says where a secret is sent or how an answer is
// read. What was ignored is listed in Config.RepositoryNotes, and what its
// allowlists suppress is counted (Config.RepositorySuppressed).
func LoadRepository(name string, data []byte, opts RepositoryOptions) (*Config, error) {
	if len(data) > MaxRepositoryFile {
		return nil, &Error{File: name, Err: fmt.Errorf("larger than %d bytes", MaxRepositoryFile)}
	}
	raw, err := decode(name, data)
	if err != nil {
		return nil, err
	}
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }
	if raw.Extend.Path != "" || raw.Extend.URL != "" {
		note("[extend] path/url ignored: repository configuration cannot read other files")
	}
	if len(raw.Extend.DisabledRules) > 0 {
		note("[extend] disabledRules ignored: repository configuration cannot switch rules off (%d named)", len(raw.Extend.DisabledRules))
	}
	raw.Extend = rawExtend{}
	if len(raw.Verify) > 0 && !opts.AllowVerify {
		note("[verify] ignored: repository configuration cannot choose where secrets are sent (--trust-repo-verify allows it)")
		raw.Verify = nil
	}
	defaults, err := defaultRaw()
	if err != nil {
		return nil, err
	}
	builtin := map[string]bool{}
	for _, d := range defaults {
		for _, r := range d.raw.Rules {
			builtin[r.ID] = true
		}
	}
	var changed, verifiers []string
	for i := range raw.Rules {
		r := &raw.Rules[i]
		if builtin[r.ID] {
			// Only allowlists may be added to a built-in rule.
			if changesRule(*r) {
				changed = append(changed, r.ID)
			}
			*r = rawRule{ID: r.ID, Allowlist: r.Allowlist, Allowlists: r.Allowlists}
		}
		if r.Verifier != "" && !opts.AllowVerify {
			verifiers = append(verifiers, r.ID)
			r.Verifier = ""
		}
		if r.Allowlist != nil {
			r.Allowlist.repository = true
		}
		for j := range r.Allowlists {
			r.Allowlists[j].repository = true
		}
	}
	if len(changed) > 0 {
		note("changes to built-in rules ignored (only allowlists are added): %s", strings.Join(sorted(changed), ", "))
	}
	if len(verifiers) > 0 {
		note("verifier names ignored: repository configuration cannot choose where secrets are sent (rules %s)", strings.Join(sorted(verifiers), ", "))
	}
	if raw.Allowlist != nil {
		raw.Allowlist.repository = true
	}
	for j := range raw.Allowlists {
		raw.Allowlists[j].repository = true
	}
	cfg, err := build(append(defaults, namedRaw{file: name, raw: raw}))
	if err != nil {
		return nil, err
	}
	cfg.Repository = name
	cfg.RepositoryNotes = notes
	cfg.repoSuppressed = new(atomic.Int64)
	return cfg, nil
}

// changesRule reports whether an extending rule sets anything but its id
// and allowlists.
func changesRule(r rawRule) bool {
	return r.Description != "" || r.Regex != "" || r.SecretGroup != 0 || r.Entropy != 0 ||
		len(r.Keywords) > 0 || r.Path != "" || len(r.Tags) > 0 || r.SkipReport || len(r.Required) > 0 ||
		r.Confidence != "" || r.Checksum != "" || r.Verifier != "" ||
		len(r.Examples) > 0 || len(r.NegativeExamples) > 0 || r.ExamplePath != ""
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}
