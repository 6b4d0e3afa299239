package rules

import (
	"regexp"
	"strings"
	"sync"
)

// Occurrence is what an allowlist is checked against: one match at one place.
// Path and Commit are empty when not known (stdin, or content-only checks).
type Occurrence struct {
	Secret string
	Match  string
	Line   string
	Path   string
	Commit string
}

// Allows reports whether the allowlist suppresses the occurrence. With
// condition OR (the default) one matching criterion is enough; with AND every
// criterion the allowlist sets must match.
func (a *Allowlist) Allows(o Occurrence) bool {
	type check struct {
		set bool
		hit func() bool
	}
	// Cheapest first: the result does not depend on the order, but a
	// pattern not reached is never compiled.
	checks := [...]check{
		{len(a.Commits) > 0, func() bool {
			for _, c := range a.Commits {
				if c != "" && o.Commit != "" && strings.HasPrefix(o.Commit, c) {
					return true
				}
			}
			return false
		}},
		{len(a.StopWords) > 0, func() bool {
			lower := strings.ToLower(o.Secret)
			for _, w := range a.StopWords {
				if strings.Contains(lower, w) {
					return true
				}
			}
			return false
		}},
		{len(a.Paths) > 0, func() bool {
			for _, re := range a.Paths {
				if re.MatchString(o.Path) {
					return true
				}
			}
			return false
		}},
		{len(a.Regexes) > 0, func() bool {
			target := o.Secret
			switch a.RegexTarget {
			case TargetMatch:
				target = o.Match
			case TargetLine:
				target = o.Line
			}
			for _, re := range a.Regexes {
				if re.MatchString(target) {
					return true
				}
			}
			return false
		}},
	}
	any := false
	for _, c := range checks {
		if !c.set {
			continue
		}
		any = true
		hit := c.hit()
		if a.MatchAll && !hit {
			return false
		}
		if !a.MatchAll && hit {
			return true
		}
	}
	return any && a.MatchAll
}

// AppliesTo reports whether a global allowlist covers the rule.
func (a *Allowlist) AppliesTo(ruleID string) bool {
	if len(a.TargetRules) == 0 {
		return true
	}
	for _, id := range a.TargetRules {
		if id == ruleID {
			return true
		}
	}
	return false
}

// Allowed reports whether any allowlist of the rule or any global allowlist
// that covers it suppresses the occurrence. With contentOnly, only the
// allowlists that need neither a path nor a commit are consulted; the others
// are left for AllowedAt once the place is known. A match that only
// repository allowlists suppress is counted (RepositorySuppressed).
func (c *Config) Allowed(r *Rule, o Occurrence, contentOnly bool) bool {
	byRepository := false
	check := func(a *Allowlist) bool {
		if a.ContentOnly() != contentOnly || !a.Allows(o) {
			return false
		}
		if a.Repository {
			byRepository = true
			return false // a trusted allowlist may still cover it
		}
		return true
	}
	for _, a := range r.Allowlists {
		if check(a) {
			return true
		}
	}
	for _, a := range c.Allowlists {
		if a.AppliesTo(r.ID) && check(a) {
			return true
		}
	}
	if byRepository && c.repoSuppressed != nil {
		c.repoSuppressed.Add(1)
	}
	return byRepository
}

// ByID returns the rule with the id, or nil.
func (c *Config) ByID(id string) *Rule {
	for _, r := range c.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// Pattern is an allowlist regex compiled on first use: the built-in rules'
// allowlists hold hundreds, and most scans never reach most of them. A
// user's file compiles them while loading, so a bad one fails there.
type Pattern struct {
	src string
	// guard, set for the built-in rules' patterns (catalogue_gen.go),
	// rules out texts the regex cannot match without compiling it.
	guard guard
	once  sync.Once
	re    *regexp.Regexp
	err   error
}

func newPattern(src string) *Pattern { return &Pattern{src: src} }

func (p *Pattern) compile() (*regexp.Regexp, error) {
	p.once.Do(func() { p.re, p.err = regexp.Compile(p.src) })
	return p.re, p.err
}

// MatchString reports whether s matches; a pattern that does not compile
// (impossible for the built-in rules, which the tests compile) matches
// nothing.
func (p *Pattern) MatchString(s string) bool {
	if !p.guard.allows(s) {
		return false
	}
	re, err := p.compile()
	return err == nil && re.MatchString(s)
}

// String is the pattern's source.
func (p *Pattern) String() string { return p.src }
