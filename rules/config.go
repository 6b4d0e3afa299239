// Package rules holds the rule schema, the TOML loader and the default rule
// set. Rules are data: every regular expression is compiled while the file
// loads, so a bad rule fails at load time with the file, the rule id and the
// reason, never halfway through a scan.
//
// The schema is a superset of gitleaks' configuration format: a gitleaks
// configuration file loads unchanged and behaves as it does in gitleaks.
package rules

import (
	"regexp"
	"regexp/syntax"
	"sync"
	"sync/atomic"
)

// Confidence ranks how sure a rule is that a match is a real secret.
type Confidence int

// Confidence levels, ordered so that a larger value is more certain.
const (
	ConfidenceLow Confidence = iota + 1
	ConfidenceMedium
	ConfidenceHigh
)

// String returns the lower-case name used in TOML and in reports.
func (c Confidence) String() string {
	switch c {
	case ConfidenceLow:
		return "low"
	case ConfidenceMedium:
		return "medium"
	case ConfidenceHigh:
		return "high"
	}
	return "unknown"
}

// ParseConfidence turns "low", "medium" or "high" into a Confidence.
func ParseConfidence(s string) (Confidence, bool) {
	switch s {
	case "low":
		return ConfidenceLow, true
	case "medium":
		return ConfidenceMedium, true
	case "high":
		return ConfidenceHigh, true
	}
	return 0, false
}

// Config is a loaded, compiled rule set.
type Config struct {
	Title string
	// Rules in load order; ids are unique.
	Rules []*Rule
	// Allowlists apply to every rule (or to TargetRules when set).
	Allowlists []*Allowlist
	// Sources names the files the config was built from, for messages.
	Sources []string
	// Providers is the catalogue, in load order; each lists its rules.
	Providers  []*Provider
	providerBy map[string]*Provider
	// PathOnly lists the reporting rules that have a path and no regex
	// (a file that should not be committed at all), so that a scan checks
	// each file's path against those few, not against every rule.
	PathOnly []*Rule
	// Verify is the `[verify]` table, kept opaque here: the verification
	// layer reads it (endpoints for self-hosted instances, declarative
	// verifiers). Later files override earlier ones key by key.
	Verify map[string]any
	// Repository names the repository configuration file layered over the
	// built-in rules ("" when none; see LoadRepository), and
	// RepositoryNotes what of it was ignored.
	Repository      string
	RepositoryNotes []string

	// repoSuppressed counts matches that only a repository allowlist
	// suppressed; shared by every worker.
	repoSuppressed *atomic.Int64
	// builtin is set for the built-in catalogue as Default returns it (no
	// file of a user's): its rules are the static generatedRules.
	builtin bool
	// providerOnce builds providerBy on first use for a config that did
	// not build it while loading (Default's).
	providerOnce sync.Once
}

// RepositorySuppressed is how many matches allowlists of repository
// configuration suppressed (and no trusted allowlist would have).
func (c *Config) RepositorySuppressed() int64 {
	if c.repoSuppressed == nil {
		return 0
	}
	return c.repoSuppressed.Load()
}

// Rule is one compiled detection rule.
type Rule struct {
	ID          string
	Description string
	// Pattern is the regex that finds candidate matches; "" for a path-only
	// rule. Plan compiles it.
	Pattern string
	// SecretGroup is the capture group holding the secret; 0 means the first
	// non-empty group, or the whole match when the regex has no groups.
	SecretGroup int
	// Entropy is the minimum Shannon entropy (bits per byte) of the secret;
	// 0 disables the check.
	Entropy float64
	// Keywords are lower-cased literals; the regex only runs near one of them.
	// A rule without keywords runs over every input.
	Keywords []string
	// Path restricts the rule to paths matching this regex.
	Path *regexp.Regexp
	Tags []string
	// Confidence defaults to medium.
	Confidence Confidence
	// Checksum names an offline checksum check for the token format (see
	// detectors.Checksums); a match that fails it is kept at low confidence.
	Checksum string
	// Verifier names the live-key verifier for this rule's secrets.
	Verifier string
	// Provider is the id of the rule's catalogue entry ("" for rules of
	// user files that name none); Source the file the rule came from.
	Provider string
	Source   string
	// Near holds a context rule's name words (see contextRegex).
	Near []string
	// SkipReport keeps the rule's matches out of reports: it exists only to
	// be required by other rules (gitleaks composite rules).
	SkipReport bool
	// Required lists rules whose matches must be near a match of this rule.
	Required   []Required
	Allowlists []*Allowlist

	Examples         []string
	NegativeExamples []string
	// ExamplePath is the path examples are scanned as, for rules with Path.
	ExamplePath string

	// MaxLen is the longest match the regex can produce, in bytes, or -1
	// when unbounded. MaxNewlines is the most newlines a match can hold, or
	// -1 when unbounded; the engine sizes its windows from both.
	MaxLen      int
	MaxNewlines int
	// Multiline reports whether a match can span lines.
	Multiline bool

	// secret is a context rule's key shape and pathSrc the path regex's
	// source, kept so that a built-in rule can be given back to the loader
	// as its file had it (rawOfRule).
	secret  string
	pathSrc string

	checks   *Checks
	planOnce sync.Once
	plan     *Plan
	planErr  error
}

// Checks are what the engine asks of a window before it runs a rule's
// regex: cheap to test, derived from the parsed regex. The built-in rules
// carry them precomputed (catalogue_gen.go).
type Checks struct {
	// MustContain lists text every match contains (a literal, or one byte
	// of a small set such as a quote): the engine skips a window that lacks
	// one before running the regex.
	MustContain []RequiredText
	// MustHaveRuns lists runs of bytes every match holds (a 40-character
	// hex token is a run of 40 hex digits).
	MustHaveRuns []ByteRun
	// StartsWithKeyword is set when every match begins (after at most one
	// boundary character) with a literal that each keyword is a prefix of:
	// the engine then scans only forward from a keyword hit.
	StartsWithKeyword bool
	// Lead, for such a rule, is the literal and boundary its matches start
	// with, checked at each keyword hit before a window is opened.
	Lead *Lead
	// Around lists the keywords whose neighbouring bytes the regex
	// constrains, checked at each hit of them before a window is opened.
	Around []Around
}

// AroundFits reports whether a hit of keyword at data[start:start+len(keyword)]
// fits the neighbours the rule allows it (true for a keyword without an
// Around entry).
func (c *Checks) AroundFits(keyword string, data []byte, start int) bool {
	a := c.around(keyword)
	return a == nil || a.Fits(data, start, start+len(keyword))
}

// around returns the Around entry of keyword, or nil.
func (c *Checks) around(keyword string) *Around {
	for i := range c.Around {
		if c.Around[i].Keyword == keyword {
			return &c.Around[i]
		}
	}
	return nil
}

// Plan is what the engine needs to run a rule's regex: the checks and the
// compiled regex. Compiling is most of the cost of a rule, so the built-in
// rules compile on first use — when a window has passed the checks and
// the prefilter — and a scan pays only for the rules its content comes
// near. Rules of a user's file build their plan while loading, so a bad
// regex fails there.
type Plan struct {
	Checks
	Regex *regexp.Regexp
}

// Prefilter returns a relaxed copy of the rule's regex that matches
// wherever the regex does and compiles far smaller (the engine makes a
// DFA of it), or nil for a path-only rule. It only parses the pattern: a
// window the prefilter turns down never compiles the regex itself (in the
// Go tree, 37 of the 169 rules whose checks some window passes get that
// far). It parses anew on each call and keeps nothing: the engine asks once
// per rule and keeps only the DFA.
func (r *Rule) Prefilter() *syntax.Regexp {
	if r.Pattern == "" {
		return nil
	}
	parsed, err := syntax.Parse(r.Pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	return prefilterRegex(parsed)
}

// Checks returns the rule's window checks without compiling its regex; nil
// for a path-only rule.
func (r *Rule) Checks() *Checks {
	if r.checks != nil {
		return r.checks
	}
	if p := r.Plan(); p != nil {
		return &p.Checks
	}
	return nil
}

// Plan returns the rule's plan, building it on the first call; nil for a
// path-only rule or one whose regex does not compile. It is safe for
// concurrent use.
func (r *Rule) Plan() *Plan {
	if r.Pattern == "" {
		return nil
	}
	r.planOnce.Do(func() { r.plan, r.planErr = buildPlan(r.Pattern, r.Keywords, r.checks) })
	return r.plan
}

// Required is a companion rule of a composite rule.
type Required struct {
	ID string
	// WithinLines and WithinColumns bound the distance to the companion;
	// negative means unbounded.
	WithinLines   int
	WithinColumns int
}

// RegexTarget says what an allowlist's regexes are matched against.
type RegexTarget int

// Targets for allowlist regexes.
const (
	TargetSecret RegexTarget = iota
	TargetMatch
	TargetLine
)

// Allowlist suppresses matches that would otherwise be reported.
type Allowlist struct {
	Description string
	// MatchAll is true for condition = "AND": every set criterion must hold.
	MatchAll    bool
	RegexTarget RegexTarget
	Regexes     []*Pattern
	Paths       []*Pattern
	Commits     []string
	StopWords   []string
	// TargetRules limits a global allowlist to these rule ids.
	TargetRules []string
	// Repository is set for an allowlist of repository configuration: a
	// match only it suppresses is counted (Config.RepositorySuppressed).
	Repository bool
}

// ContentOnly reports whether the allowlist can be decided from the matched
// content alone, without a path or a commit.
func (a *Allowlist) ContentOnly() bool {
	return len(a.Paths) == 0 && len(a.Commits) == 0
}

// shape is what the engine needs to know of a regex to size its windows.
type shape struct {
	maxLen int // bytes, -1 unbounded
	maxNL  int // newlines, -1 unbounded
}

// addBound adds two bounds where -1 means unbounded.
func addBound(a, b int) int {
	if a < 0 || b < 0 {
		return -1
	}
	return a + b
}

func maxBound(a, b int) int {
	if a < 0 || b < 0 {
		return -1
	}
	return max(a, b)
}

func mulBound(a, n int) int {
	switch {
	case a == 0:
		return 0
	case a < 0 || n < 0:
		return -1
	}
	return a * n
}

func shapeOf(re *syntax.Regexp) shape {
	switch re.Op {
	case syntax.OpLiteral:
		var s shape
		for _, r := range re.Rune {
			s.maxLen += runeBytes(r)
			if r == '\n' {
				s.maxNL++
			}
		}
		return s
	case syntax.OpCharClass:
		var s shape
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			s.maxLen = max(s.maxLen, runeBytes(hi))
			if lo <= '\n' && '\n' <= hi {
				s.maxNL = 1
			}
		}
		return s
	case syntax.OpAnyCharNotNL:
		return shape{4, 0}
	case syntax.OpAnyChar:
		return shape{4, 1}
	case syntax.OpCapture, syntax.OpQuest:
		return shapeOf(re.Sub[0])
	case syntax.OpConcat:
		var s shape
		for _, sub := range re.Sub {
			t := shapeOf(sub)
			s.maxLen = addBound(s.maxLen, t.maxLen)
			s.maxNL = addBound(s.maxNL, t.maxNL)
		}
		return s
	case syntax.OpAlternate:
		var s shape
		for _, sub := range re.Sub {
			t := shapeOf(sub)
			s.maxLen = maxBound(s.maxLen, t.maxLen)
			s.maxNL = maxBound(s.maxNL, t.maxNL)
		}
		return s
	case syntax.OpStar, syntax.OpPlus:
		t := shapeOf(re.Sub[0])
		return shape{mulBound(t.maxLen, -1), mulBound(t.maxNL, -1)}
	case syntax.OpRepeat:
		t := shapeOf(re.Sub[0])
		return shape{mulBound(t.maxLen, re.Max), mulBound(t.maxNL, re.Max)}
	}
	// Empty-width assertions and empty matches.
	return shape{}
}

// RequiredText is one piece of text every match of a regex holds: a literal
// (compared ignoring ASCII case when Fold is set) or, when Literal is empty,
// any one of the bytes in AnyOf.
type RequiredText struct {
	Literal string
	Fold    bool
	AnyOf   string
}

// requiredTexts returns the mandatory literals and small byte sets of a
// regex's top-level sequence (through capture groups).
func requiredTexts(re *syntax.Regexp) []RequiredText {
	var out []RequiredText
	walkMandatory(re, func(re *syntax.Regexp) bool {
		switch re.Op {
		case syntax.OpLiteral:
			lit := string(re.Rune)
			fold := re.Flags&syntax.FoldCase != 0
			if len(lit) >= 1 && isASCII(lit) {
				out = append(out, RequiredText{Literal: lit, Fold: fold})
			}
		case syntax.OpAlternate:
			// Every alternative starts with one of a few bytes: one of
			// them must be there ("=", ":" or "," in an assignment).
			seen := map[byte]bool{}
			var set []byte
			for _, sub := range re.Sub {
				first, ok := firstBytes(sub)
				if !ok {
					return false
				}
				for _, b := range first {
					if !seen[b] {
						seen[b] = true
						set = append(set, b)
					}
				}
			}
			if len(set) > 0 && len(set) <= 4 {
				out = append(out, RequiredText{AnyOf: string(set)})
			}
		case syntax.OpCharClass:
			var set []byte
			for i := 0; i+1 < len(re.Rune); i += 2 {
				lo, hi := re.Rune[i], re.Rune[i+1]
				if hi-lo > 3 || hi >= 0x80 || len(set) > 4 {
					return false
				}
				for r := lo; r <= hi; r++ {
					set = append(set, byte(r))
				}
			}
			if len(set) > 0 && len(set) <= 4 {
				out = append(out, RequiredText{AnyOf: string(set)})
			}
		}
		return true
	})
	return out
}

// firstBytes returns the bytes a match of re can start with, when they are
// few, ASCII and not letters (a letter would need both cases).
func firstBytes(re *syntax.Regexp) ([]byte, bool) {
	switch re.Op {
	case syntax.OpCapture:
		return firstBytes(re.Sub[0])
	case syntax.OpConcat:
		if len(re.Sub) == 0 {
			return nil, false
		}
		return firstBytes(re.Sub[0])
	case syntax.OpLiteral:
		if len(re.Rune) == 0 || re.Rune[0] >= 0x80 || isLetter(re.Rune[0]) {
			return nil, false
		}
		return []byte{byte(re.Rune[0])}, true
	case syntax.OpCharClass:
		var set []byte
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi-lo > 3 || hi >= 0x80 {
				return nil, false
			}
			for r := lo; r <= hi; r++ {
				if isLetter(r) {
					return nil, false
				}
				set = append(set, byte(r))
			}
		}
		return set, len(set) > 0 && len(set) <= 4
	}
	return nil, false
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// isBoundary reports whether a regex element consumes at most one
// character before the token: \b, ^, or (?:^|[class]).
func isBoundary(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpWordBoundary, syntax.OpBeginLine, syntax.OpBeginText:
		return true
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if s.Op != syntax.OpBeginLine && s.Op != syntax.OpBeginText && s.Op != syntax.OpCharClass {
				return false
			}
		}
		return true
	}
	return false
}

func runeBytes(r rune) int {
	switch {
	case r < 0x80:
		return 1
	case r < 0x800:
		return 2
	case r < 0x10000:
		return 3
	}
	return 4
}
