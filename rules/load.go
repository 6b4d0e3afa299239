package rules

import (
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

// rawConfig mirrors the TOML file. Field names follow gitleaks so that its
// configuration files load unchanged.
type rawConfig struct {
	Title       string         `toml:"title"`
	Description string         `toml:"description"`
	MinVersion  string         `toml:"minVersion"`
	Extend      rawExtend      `toml:"extend"`
	Rules       []rawRule      `toml:"rules"`
	Allowlist   *rawAllowlist  `toml:"allowlist"`
	Allowlists  []rawAllowlist `toml:"allowlists"`
	// Providers is the catalogue: what achilles knows of each provider the
	// file's rules belong to.
	Providers []rawProvider `toml:"providers"`
	// Verify is read by the verification layer; the rule loader keeps it
	// opaque so that the two stay independent.
	Verify map[string]any `toml:"verify"`
}

type rawExtend struct {
	Path          string   `toml:"path"`
	URL           string   `toml:"url"`
	UseDefault    bool     `toml:"useDefault"`
	DisabledRules []string `toml:"disabledRules"`
}

type rawRule struct {
	ID          string         `toml:"id"`
	Description string         `toml:"description"`
	Regex       string         `toml:"regex"`
	SecretGroup int            `toml:"secretGroup"`
	Entropy     float64        `toml:"entropy"`
	Keywords    []string       `toml:"keywords"`
	Path        string         `toml:"path"`
	Tags        []string       `toml:"tags"`
	SkipReport  bool           `toml:"skipReport"`
	Required    []rawRequired  `toml:"required"`
	Allowlist   *rawAllowlist  `toml:"allowlist"`
	Allowlists  []rawAllowlist `toml:"allowlists"`

	// achilles additions
	Confidence       string   `toml:"confidence"`
	Checksum         string   `toml:"checksum"`
	Verifier         string   `toml:"verifier"`
	Examples         []string `toml:"examples"`
	NegativeExamples []string `toml:"negativeExamples"`
	ExamplePath      string   `toml:"examplePath"`
	// Provider names the catalogue entry the rule belongs to.
	Provider string `toml:"provider"`
	// Near and Secret declare a context rule: a key of the shape Secret
	// assigned to a name that contains one of Near (see contextRegex).
	Near   []string `toml:"near"`
	Secret string   `toml:"secret"`

	// Prepared is set for the built-in rules as catalogue_gen.go holds
	// them: a context rule already expanded, and the regex's shape
	// (MaxLen, MaxNL) already computed, so loading parses nothing.
	Prepared bool    `toml:"-"`
	MaxLen   int     `toml:"-"`
	MaxNL    int     `toml:"-"`
	Checks   *Checks `toml:"-"`
}

type rawProvider struct {
	ID          string   `toml:"id"`
	Name        string   `toml:"name"`
	Category    string   `toml:"category"`
	Docs        string   `toml:"docs"`
	Revoke      string   `toml:"revoke"`
	Identity    []string `toml:"identity"`
	Scopes      []string `toml:"scopes"`
	Expiry      string   `toml:"expiry"`
	Description string   `toml:"description"`
}

type rawRequired struct {
	ID            string `toml:"id"`
	WithinLines   *int   `toml:"withinLines"`
	WithinColumns *int   `toml:"withinColumns"`
}

type rawAllowlist struct {
	Description string   `toml:"description"`
	Condition   string   `toml:"condition"`
	MatchCond   string   `toml:"matchCondition"`
	RegexTarget string   `toml:"regexTarget"`
	Regexes     []string `toml:"regexes"`
	Paths       []string `toml:"paths"`
	Commits     []string `toml:"commits"`
	StopWords   []string `toml:"stopwords"`
	TargetRules []string `toml:"targetRules"`

	// repository marks an allowlist that came from repository
	// configuration, so that what it suppresses is counted; builtin one of
	// the built-in rules, whose regexes compile on first use.
	repository bool
	builtin    bool
}

// Error is a problem in a rule file, naming the file and, where there is one,
// the rule.
type Error struct {
	File   string
	RuleID string
	Err    error
}

func (e *Error) Error() string {
	if e.RuleID != "" {
		return fmt.Sprintf("%s: rule %q: %v", e.File, e.RuleID, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Default returns the embedded default rule set. catalogue_gen.go holds it
// already built, as static data (generatedRules and the tables beside it):
// loading it allocates one Config and compiles the few path regexes, so
// that start-up does not rebuild two thousand rules. TestGeneratedCatalogue
// keeps that data equal to what build makes of rules/default.
func Default() (*Config, error) {
	if err := generatedPaths(); err != nil {
		return nil, err
	}
	return &Config{
		Rules:      generatedRuleList,
		Allowlists: generatedAllowlists,
		Sources:    generatedSources,
		Providers:  generatedProviderList,
		PathOnly:   generatedPathOnly,
		builtin:    true,
	}, nil
}

// generatedPaths compiles, once, the path regexes of the built-in rules
// (a handful; a *regexp.Regexp cannot be static data).
var generatedPaths = sync.OnceValue(func() error {
	for i := range generatedRules {
		r := &generatedRules[i]
		if r.pathSrc == "" {
			continue
		}
		re, err := regexp.Compile(r.pathSrc)
		if err != nil {
			return &Error{File: r.Source, RuleID: r.ID, Err: fmt.Errorf("path regex does not compile: %w", err)}
		}
		r.Path = re
	}
	return nil
})

type namedRaw struct {
	file string
	raw  rawConfig
	// builtin marks a file of the built-in catalogue (defaultRaw), whose
	// providers TestBuiltinProviders checks, so that loading need not.
	builtin bool
}

// defaultRaw returns the built-in rule files as the loader reads a file,
// for a chain that extends them (`[extend] useDefault`, repository
// configuration): context rules expanded, regex shapes and window checks
// computed, keywords in ruleKeywords' form (Prepared), so that loading
// them parses nothing. They are rebuilt, once, from the static catalogue
// (generatedRules, split by file by generatedSpans); TestGeneratedCatalogue
// checks that building them gives that catalogue back. The slices are
// shared: build copies what it changes.
func defaultRaw() ([]namedRaw, error) {
	return generatedRaw(), nil
}

var generatedRaw = sync.OnceValue(func() []namedRaw {
	return rawsOf(generatedSources, generatedSpans, generatedRuleList, generatedProviderList, generatedAllowlists)
})

// rawsOf splits a built catalogue back into its files (spans says what each
// holds, in order) as the loader reads them.
func rawsOf(files []string, spans []fileSpan, rules []*Rule, providers []*Provider, globals []*Allowlist) []namedRaw {
	out := make([]namedRaw, len(files))
	ri, pi, ai := 0, 0, 0
	for i, file := range files {
		sp := spans[i]
		nr := namedRaw{file: file, builtin: true}
		if sp.rules > 0 {
			nr.raw.Rules = make([]rawRule, sp.rules)
			for j := range nr.raw.Rules {
				nr.raw.Rules[j] = rawOfRule(rules[ri+j])
			}
		}
		if sp.providers > 0 {
			nr.raw.Providers = make([]rawProvider, sp.providers)
			for j := range nr.raw.Providers {
				nr.raw.Providers[j] = rawOfProvider(providers[pi+j])
			}
		}
		for j := 0; j < sp.allowlists; j++ {
			nr.raw.Allowlists = append(nr.raw.Allowlists, rawOfAllowlist(globals[ai+j]))
		}
		ri, pi, ai = ri+sp.rules, pi+sp.providers, ai+sp.allowlists
		out[i] = nr
	}
	return out
}

// fileSpan is how many rules, providers and global allowlists one file of
// the built-in catalogue holds, in catalogue order.
type fileSpan struct {
	rules, providers, allowlists int
}

// rawOfRule is a built-in rule as its file, prepared, gives it to the
// loader: building it again gives the same rule.
func rawOfRule(r *Rule) rawRule {
	raw := rawRule{
		ID: r.ID, Description: r.Description, Regex: r.Pattern, SecretGroup: r.SecretGroup,
		Entropy: r.Entropy, Keywords: r.Keywords, Path: r.pathSrc, Tags: r.Tags, SkipReport: r.SkipReport,
		Confidence: r.Confidence.String(), Checksum: r.Checksum, Verifier: r.Verifier,
		Examples: r.Examples, NegativeExamples: r.NegativeExamples, ExamplePath: r.ExamplePath,
		Provider: r.Provider, Near: r.Near, Secret: r.secret,
		Prepared: true, MaxLen: r.MaxLen, MaxNL: r.MaxNewlines, Checks: r.checks,
	}
	for _, q := range r.Required {
		req := rawRequired{ID: q.ID}
		if q.WithinLines >= 0 {
			req.WithinLines = intPtr(q.WithinLines)
		}
		if q.WithinColumns >= 0 {
			req.WithinColumns = intPtr(q.WithinColumns)
		}
		raw.Required = append(raw.Required, req)
	}
	for _, a := range r.Allowlists {
		raw.Allowlists = append(raw.Allowlists, rawOfAllowlist(a))
	}
	return raw
}

func rawOfAllowlist(a *Allowlist) rawAllowlist {
	raw := rawAllowlist{
		Description: a.Description, Commits: a.Commits, StopWords: a.StopWords,
		TargetRules: a.TargetRules, builtin: true,
	}
	if a.MatchAll {
		raw.Condition = "AND"
	}
	switch a.RegexTarget {
	case TargetMatch:
		raw.RegexTarget = "match"
	case TargetLine:
		raw.RegexTarget = "line"
	}
	for _, p := range a.Regexes {
		raw.Regexes = append(raw.Regexes, p.src)
	}
	for _, p := range a.Paths {
		raw.Paths = append(raw.Paths, p.src)
	}
	return raw
}

func rawOfProvider(p *Provider) rawProvider {
	return rawProvider{
		ID: p.ID, Name: p.Name, Category: p.Category, Docs: p.Docs, Revoke: p.Revoke,
		Identity: p.Identity, Scopes: p.Scopes, Expiry: p.Expiry, Description: p.Description,
	}
}

// VerifierFile is one provider file's verifier declarations, the TOML of
// its [[verify.http]] tables as an [[http]] document
// (verify.DecodeHTTPSpecs reads it).
type VerifierFile struct {
	File string
	TOML string
}

// DefaultVerifiers returns the verifier declarations of the provider
// catalogue, file by file. They are not part of a Config: a user's
// [[verify.http]] are its Verify table, and the built-in ones are read
// only when something is verified.
func DefaultVerifiers() []VerifierFile { return generatedVerifiers }

// LoadFile loads a rule file. With `[extend] useDefault = true` the default
// rules come first and the file's rules are added (a rule with an id that is
// already defined replaces fields it sets, as in gitleaks). `[extend] path`
// chains another file.
func LoadFile(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading rules: %w", err)
	}
	return LoadBytes(file, data)
}

// LoadBytes is LoadFile for content already in memory; name is used in
// error messages.
func LoadBytes(name string, data []byte) (*Config, error) {
	chain, err := resolve(name, data, 0)
	if err != nil {
		return nil, err
	}
	return build(chain)
}

// resolve returns the files a config is made of, base first.
func resolve(name string, data []byte, depth int) ([]namedRaw, error) {
	if depth > 4 {
		return nil, &Error{File: name, Err: errors.New("[extend] chain deeper than 4 files")}
	}
	raw, err := decode(name, data)
	if err != nil {
		return nil, err
	}
	var chain []namedRaw
	if raw.Extend.URL != "" {
		return nil, &Error{File: name, Err: errors.New("[extend] url is not supported: achilles never fetches rules over the network; download the file and use [extend] path")}
	}
	if raw.Extend.UseDefault {
		d, err := defaultRaw()
		if err != nil {
			return nil, err
		}
		chain = append(chain, d...)
	}
	if raw.Extend.Path != "" {
		p := raw.Extend.Path
		if !strings.HasPrefix(p, "/") {
			p = path.Join(path.Dir(name), p)
		}
		base, err := os.ReadFile(p)
		if err != nil {
			return nil, &Error{File: name, Err: fmt.Errorf("[extend] path: %w", err)}
		}
		more, err := resolve(p, base, depth+1)
		if err != nil {
			return nil, err
		}
		chain = append(chain, more...)
	}
	return append(chain, namedRaw{file: name, raw: raw}), nil
}

func decode(name string, data []byte) (rawConfig, error) {
	var raw rawConfig
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		return raw, &Error{File: name, Err: err}
	}
	var unknown []string
	for _, k := range md.Undecoded() {
		if len(k) > 0 && k[0] == "verify" {
			continue
		}
		unknown = append(unknown, k.String())
	}
	if len(unknown) > 0 {
		return raw, &Error{File: name, RuleID: ruleWithUnknownKey(data), Err: fmt.Errorf("unknown field %s", strings.Join(unknown, ", "))}
	}
	return raw, nil
}

var knownRuleKeys = map[string]bool{
	"id": true, "description": true, "regex": true, "secretGroup": true, "entropy": true,
	"keywords": true, "path": true, "tags": true, "skipReport": true, "required": true,
	"allowlist": true, "allowlists": true, "confidence": true, "checksum": true,
	"verifier": true, "examples": true, "negativeExamples": true, "examplePath": true,
	"provider": true, "near": true, "secret": true,
}

// ruleWithUnknownKey names the first rule holding a key the schema does not
// know: the TOML decoder reports undecoded keys without the array index.
func ruleWithUnknownKey(data []byte) string {
	var generic struct {
		Rules []map[string]any `toml:"rules"`
	}
	if _, err := toml.Decode(string(data), &generic); err != nil {
		return ""
	}
	for _, r := range generic.Rules {
		for k := range r {
			if !knownRuleKeys[k] {
				id, _ := r["id"].(string)
				return id
			}
		}
	}
	return ""
}

// build merges the chain (base first) and compiles it.
func build(chain []namedRaw) (*Config, error) {
	// Sized first: with the built-in catalogue, what build allocates is
	// most of what a small scan's start-up faults in.
	nrule, nprov := 0, 0
	for _, nr := range chain {
		nrule += len(nr.raw.Rules)
		nprov += len(nr.raw.Providers)
	}
	cfg := &Config{Sources: make([]string, 0, len(chain)), Providers: make([]*Provider, 0, nprov)}
	byID := make(map[string]int, nrule)
	// Pointers into the files' rules: a rule is copied only when a later
	// file changes it (the built-in ones are shared, read-only data).
	raws := make([]*rawRule, 0, nrule)
	files := make([]string, 0, nrule)
	disabled := map[string]bool{}
	type globalList struct {
		file string
		raw  rawAllowlist
	}
	var globals []globalList
	providers := make(map[string]*Provider, nprov)
	provSlab := make([]Provider, 0, nprov)
	for _, nr := range chain {
		cfg.Sources = append(cfg.Sources, nr.file)
		if nr.raw.Title != "" {
			cfg.Title = nr.raw.Title
		}
		for k, v := range nr.raw.Verify {
			if cfg.Verify == nil {
				cfg.Verify = map[string]any{}
			}
			// Declarations add up along a chain of files; other tables
			// (endpoints) are replaced by the later file.
			if old, ok := cfg.Verify[k].([]map[string]any); ok && k == "http" {
				if more, ok := v.([]map[string]any); ok {
					v = append(slices.Clip(old), more...)
				}
			}
			cfg.Verify[k] = v
		}
		for _, id := range nr.raw.Extend.DisabledRules {
			disabled[id] = true
		}
		if nr.raw.Allowlist != nil {
			globals = append(globals, globalList{nr.file, *nr.raw.Allowlist})
		}
		for _, a := range nr.raw.Allowlists {
			globals = append(globals, globalList{nr.file, a})
		}
		checked := nr.builtin
		for _, p := range nr.raw.Providers {
			if !checked {
				if err := checkProvider(p); err != nil {
					return nil, &Error{File: nr.file, Err: err}
				}
			}
			provSlab = append(provSlab, newProvider(p))
			prov := &provSlab[len(provSlab)-1]
			if old, ok := providers[prov.ID]; ok {
				return nil, &Error{File: nr.file, Err: fmt.Errorf("provider %q is already defined in %s", prov.ID, old.Source)}
			}
			prov.Source = nr.file
			providers[prov.ID] = prov
			cfg.Providers = append(cfg.Providers, prov)
		}
		seenHere := map[string]bool{}
		for j := range nr.raw.Rules {
			r := &nr.raw.Rules[j]
			if r.ID == "" {
				return nil, &Error{File: nr.file, Err: fmt.Errorf("a rule has no id (description %q)", r.Description)}
			}
			if seenHere[r.ID] {
				return nil, &Error{File: nr.file, RuleID: r.ID, Err: errors.New("duplicate rule id")}
			}
			seenHere[r.ID] = true
			if i, ok := byID[r.ID]; ok {
				if files[i] == nr.file || isDefault(files[i]) && isDefault(nr.file) {
					return nil, &Error{File: nr.file, RuleID: r.ID, Err: fmt.Errorf("duplicate rule id (also in %s)", files[i])}
				}
				merged := mergeRule(*raws[i], *r)
				raws[i] = &merged
				files[i] = nr.file
				continue
			}
			byID[r.ID] = len(raws)
			raws = append(raws, r)
			files = append(files, nr.file)
		}
	}
	cfg.Rules = make([]*Rule, 0, len(raws))
	slab := make([]Rule, len(raws))
	for i, r := range raws {
		if disabled[r.ID] {
			continue
		}
		rule := &slab[i]
		if err := compileRule(rule, r, isDefault(files[i])); err != nil {
			return nil, &Error{File: files[i], RuleID: r.ID, Err: err}
		}
		rule.Source = files[i]
		if !isDefault(files[i]) && rule.Pattern != "" {
			// A user's rule is checked now, so that a bad regex fails the
			// load; the built-in ones, checked by the tests, wait for use.
			if rule.Plan(); rule.planErr != nil {
				return nil, &Error{File: files[i], RuleID: r.ID, Err: rule.planErr}
			}
		}
		if rule.Provider != "" {
			p := providers[rule.Provider]
			if p == nil {
				return nil, &Error{File: files[i], RuleID: r.ID, Err: fmt.Errorf("provider %q is not in the catalogue (no [[providers]] entry with that id)", rule.Provider)}
			}
			p.Rules = append(p.Rules, rule)
		}
		cfg.Rules = append(cfg.Rules, rule)
	}
	cfg.providerBy = providers
	for _, r := range cfg.Rules {
		if r.Pattern == "" && r.Path != nil && !r.SkipReport {
			cfg.PathOnly = append(cfg.PathOnly, r)
		}
	}
	for _, r := range cfg.Rules {
		for _, req := range r.Required {
			if _, ok := byID[req.ID]; !ok || disabled[req.ID] {
				return nil, &Error{File: files[byID[r.ID]], RuleID: r.ID, Err: fmt.Errorf("required rule %q is not defined", req.ID)}
			}
		}
	}
	if !hasActiveRule(cfg.Rules) {
		last := ""
		if len(chain) > 0 {
			last = chain[len(chain)-1].file
		}
		return nil, &Error{File: last, Err: errors.New("no active rule: a scan with it could find nothing (every rule is disabled or skipReport, or none is defined)")}
	}
	for _, g := range globals {
		raw := g.raw
		raw.builtin = isDefault(g.file)
		a, err := compileAllowlist(raw)
		if err != nil {
			return nil, &Error{File: g.file, Err: fmt.Errorf("global allowlist: %w", err)}
		}
		cfg.Allowlists = append(cfg.Allowlists, a)
	}
	return cfg, nil
}

func hasActiveRule(rs []*Rule) bool {
	for _, r := range rs {
		if !r.SkipReport {
			return true
		}
	}
	return false
}

func isDefault(file string) bool { return strings.HasPrefix(file, "rules/default/") }

// mergeRule applies an extending file's rule on top of a base rule with the
// same id: set fields replace, allowlists and keywords add up.
func mergeRule(base, over rawRule) rawRule {
	if over.Description != "" {
		base.Description = over.Description
	}
	if over.Regex != "" {
		base.Regex = over.Regex
		base.Near, base.Secret, base.Prepared, base.Checks = nil, "", false, nil
	}
	if len(over.Keywords) > 0 {
		// The precomputed checks depend on the keywords.
		base.Checks = nil
	}
	if over.Secret != "" || len(over.Near) > 0 {
		base.Regex, base.Prepared, base.Checks = "", false, nil
		if over.Secret != "" {
			base.Secret = over.Secret
		}
		if len(over.Near) > 0 {
			base.Near = over.Near
		}
	}
	if over.SecretGroup != 0 {
		base.SecretGroup = over.SecretGroup
	}
	if over.Entropy != 0 {
		base.Entropy = over.Entropy
	}
	if over.Path != "" {
		base.Path = over.Path
	}
	if over.Confidence != "" {
		base.Confidence = over.Confidence
	}
	if over.Verifier != "" {
		base.Verifier = over.Verifier
	}
	if over.Checksum != "" {
		base.Checksum = over.Checksum
	}
	if over.Provider != "" {
		base.Provider = over.Provider
	}
	if over.SkipReport {
		base.SkipReport = true
	}
	base.Keywords = append(base.Keywords, over.Keywords...)
	base.Tags = append(base.Tags, over.Tags...)
	if over.Allowlist != nil {
		base.Allowlists = append(base.Allowlists, *over.Allowlist)
	}
	base.Allowlists = append(base.Allowlists, over.Allowlists...)
	return base
}

// compileRule builds one rule into rule (zero); builtin (a rule of
// rules/default, not changed by a user's file) leaves its allowlists'
// regexes to compile on first use.
func compileRule(rule *Rule, r *rawRule, builtin bool) error {
	*rule = Rule{
		ID:               r.ID,
		Description:      r.Description,
		SecretGroup:      r.SecretGroup,
		Entropy:          r.Entropy,
		Tags:             uniqueStrings(r.Tags),
		SkipReport:       r.SkipReport,
		Checksum:         r.Checksum,
		Verifier:         r.Verifier,
		Examples:         r.Examples,
		NegativeExamples: r.NegativeExamples,
		ExamplePath:      r.ExamplePath,
		Confidence:       ConfidenceMedium,
		Provider:         r.Provider,
		secret:           r.Secret,
		pathSrc:          r.Path,
	}
	if (r.Secret != "" || len(r.Near) > 0) && !r.Prepared {
		c := *r // expanding writes to the rule: not to the file's own
		r = &c
		if err := expandContextRule(r); err != nil {
			return err
		}
		rule.SecretGroup, rule.Entropy, rule.Near = r.SecretGroup, r.Entropy, r.Near
	}
	if r.Prepared {
		rule.SecretGroup, rule.Entropy, rule.Near = r.SecretGroup, r.Entropy, r.Near
	}
	if r.Confidence != "" {
		c, ok := ParseConfidence(r.Confidence)
		if !ok {
			return fmt.Errorf("confidence %q: want low, medium or high", r.Confidence)
		}
		rule.Confidence = c
	}
	if r.Regex == "" && r.Path == "" {
		return errors.New("a rule needs a regex, a path or both")
	}
	if r.Regex != "" && r.Prepared {
		rule.Pattern = r.Regex
		rule.MaxLen, rule.MaxNewlines, rule.Multiline = r.MaxLen, r.MaxNL, r.MaxNL != 0
	} else if r.Regex != "" {
		parsed, err := syntax.Parse(r.Regex, syntax.Perl)
		if err != nil {
			return fmt.Errorf("regex does not compile: %w", err)
		}
		if r.SecretGroup < 0 || r.SecretGroup > parsed.MaxCap() {
			return fmt.Errorf("secretGroup %d: the regex has %d groups", r.SecretGroup, parsed.MaxCap())
		}
		rule.Pattern = r.Regex
		sh := shapeOf(parsed)
		rule.MaxLen, rule.MaxNewlines, rule.Multiline = sh.maxLen, sh.maxNL, sh.maxNL != 0
	}
	if r.Path != "" {
		re, err := regexp.Compile(r.Path)
		if err != nil {
			return fmt.Errorf("path regex does not compile: %w", err)
		}
		rule.Path = re
	}
	if r.Entropy < 0 || r.Entropy > 8 {
		return fmt.Errorf("entropy %v: want a value from 0 to 8", r.Entropy)
	}
	kws, err := ruleKeywords(r.Keywords)
	if err != nil {
		return err
	}
	rule.Keywords = kws
	if r.Prepared && r.Checks != nil {
		rule.checks = r.Checks
	}
	for _, req := range r.Required {
		if req.ID == "" {
			return errors.New("[[rules.required]] needs an id")
		}
		q := Required{ID: req.ID, WithinLines: -1, WithinColumns: -1}
		if req.WithinLines != nil {
			q.WithinLines = *req.WithinLines
		}
		if req.WithinColumns != nil {
			q.WithinColumns = *req.WithinColumns
		}
		rule.Required = append(rule.Required, q)
	}
	lists := r.Allowlists
	if r.Allowlist != nil {
		lists = append([]rawAllowlist{*r.Allowlist}, lists...)
	}
	for i, l := range lists {
		if len(l.TargetRules) > 0 {
			return fmt.Errorf("allowlist %d: targetRules is only valid in a global allowlist", i+1)
		}
		l.builtin = builtin
		a, err := compileAllowlist(l)
		if err != nil {
			return fmt.Errorf("allowlist %d: %w", i+1, err)
		}
		rule.Allowlists = append(rule.Allowlists, a)
	}
	return nil
}

// buildPlan compiles a rule's regex and, unless they are given (the
// built-in rules carry them), derives its window checks.
func buildPlan(pattern string, keywords []string, checks *Checks) (*Plan, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("regex does not compile: %w", err)
	}
	p := &Plan{Regex: re}
	if checks != nil {
		p.Checks = *checks
	} else {
		parsed, err := syntax.Parse(pattern, syntax.Perl)
		if err != nil {
			return nil, fmt.Errorf("regex does not parse: %w", err)
		}
		p.Checks = deriveChecks(parsed, keywords)
	}
	return p, nil
}

// deriveChecks computes a regex's window checks; keywords are the rule's,
// lower-cased.
func deriveChecks(parsed *syntax.Regexp, keywords []string) Checks {
	simple := parsed.Simplify()
	c := Checks{MustContain: requiredTexts(simple), MustHaveRuns: requiredRuns(parsed)}
	// Keyword hits ignore case, so the comparison does too; the regex
	// still decides case when it runs.
	c.StartsWithKeyword = startsWithKeyword(simple, keywords)
	if lead, ok := leadOf(simple); ok && c.StartsWithKeyword {
		c.Lead = &lead
	}
	c.Around = aroundOf(parsed, keywords)
	return c
}

// startsWithKeyword reports whether every match of re begins, after at
// most one boundary character, with a literal that starts with a keyword,
// each keyword starting one of those literals: then every match starts at
// one of the rule's keyword hits (or one byte before it). A leading
// alternation may give each branch its literal: a context rule's start
// ("(?:^|[^a-z0-9])(?i:ngc)|[a-z0-9]N(?i:gc)") is one.
func startsWithKeyword(re *syntax.Regexp, keywords []string) bool {
	lits := leadingLiterals(re, false)
	if len(lits) == 0 || len(keywords) == 0 {
		return false
	}
	for _, l := range lits {
		if !slices.ContainsFunc(keywords, func(k string) bool { return strings.HasPrefix(l, k) }) {
			return false
		}
	}
	for _, k := range keywords {
		if !slices.ContainsFunc(lits, func(l string) bool { return strings.HasPrefix(l, k) }) {
			return false
		}
	}
	return true
}

// leadingLiterals lists, lower-cased, the literals the matches of re start
// with (after one boundary element unless bounded: \b, ^, (?:^|[class]) or
// one character of a class), one or more per branch of a leading
// alternation; nil when some match may start otherwise.
func leadingLiterals(re *syntax.Regexp, bounded bool) []string {
	switch re.Op {
	case syntax.OpCapture:
		return leadingLiterals(re.Sub[0], bounded)
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(re.Rune))}
	case syntax.OpAlternate:
		var out []string
		for _, b := range re.Sub {
			l := leadingLiterals(b, bounded)
			if l == nil {
				return nil
			}
			out = append(out, l...)
		}
		return out
	case syntax.OpConcat:
		subs := re.Sub
		if !bounded && len(subs) > 1 && (isBoundary(subs[0]) || subs[0].Op == syntax.OpCharClass) {
			subs, bounded = subs[1:], true
		}
		if len(subs) == 0 {
			return nil
		}
		// Literals in a row read as one (a case-folded part after an
		// exact one: "N" then (?i:gc)).
		var lit strings.Builder
		for _, s := range subs {
			for s.Op == syntax.OpCapture {
				s = s.Sub[0]
			}
			if s.Op != syntax.OpLiteral {
				break
			}
			lit.WriteString(string(s.Rune))
		}
		if lit.Len() > 0 {
			return []string{strings.ToLower(lit.String())}
		}
		return leadingLiterals(subs[0], bounded)
	}
	return nil
}

func compileAllowlist(l rawAllowlist) (*Allowlist, error) {
	a := &Allowlist{Description: l.Description, Commits: l.Commits, TargetRules: l.TargetRules, Repository: l.repository}
	cond := l.Condition
	if cond == "" {
		cond = l.MatchCond
	}
	switch strings.ToUpper(cond) {
	case "", "OR":
	case "AND":
		a.MatchAll = true
	default:
		return nil, fmt.Errorf("condition %q: want OR or AND", cond)
	}
	switch l.RegexTarget {
	case "", "secret":
		a.RegexTarget = TargetSecret
	case "match":
		a.RegexTarget = TargetMatch
	case "line":
		a.RegexTarget = TargetLine
	default:
		return nil, fmt.Errorf("regexTarget %q: want secret, match or line", l.RegexTarget)
	}
	for _, s := range l.Regexes {
		p := newPattern(s)
		if !l.builtin {
			if _, err := p.compile(); err != nil {
				return nil, fmt.Errorf("regex %q does not compile: %w", s, err)
			}
		}
		a.Regexes = append(a.Regexes, p)
	}
	for _, s := range l.Paths {
		p := newPattern(s)
		if !l.builtin {
			if _, err := p.compile(); err != nil {
				return nil, fmt.Errorf("path %q does not compile: %w", s, err)
			}
		}
		a.Paths = append(a.Paths, p)
	}
	for _, w := range l.StopWords {
		a.StopWords = append(a.StopWords, strings.ToLower(w))
	}
	if len(a.Regexes)+len(a.Paths)+len(a.Commits)+len(a.StopWords) == 0 {
		return nil, errors.New("an allowlist needs regexes, paths, commits or stopwords")
	}
	return a, nil
}

// uniqueStrings keeps the first of each string, in order; in itself when
// it has no repeats (most rules have one tag or two).
func uniqueStrings(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	if len(in) <= 8 && !hasRepeat(in) {
		return in
	}
	seen := make(map[string]bool, len(in))
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func intPtr(n int) *int { return &n }

func hasRepeat(in []string) bool {
	for i, s := range in {
		if slices.Contains(in[:i], s) {
			return true
		}
	}
	return false
}

// ruleKeywords lower-cases a rule's keywords, drops repeats and those that
// contain another (minimalKeywords). Keywords that are so already (the
// built-in rules' single keywords) are returned as they are.
func ruleKeywords(in []string) ([]string, error) {
	if isMinimal(in) {
		return in, nil
	}
	seen := map[string]bool{}
	var out []string
	for _, k := range in {
		k = strings.ToLower(k)
		if k == "" {
			return nil, errors.New("empty keyword")
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return minimalKeywords(out), nil
}

// isMinimal reports whether ks is what ruleKeywords would make of it:
// lower-case, sorted, none empty and none containing another (which also
// rules out repeats).
func isMinimal(ks []string) bool {
	for i, k := range ks {
		if k == "" || strings.ToLower(k) != k || i > 0 && ks[i-1] >= k {
			return false
		}
		for j, other := range ks {
			if j != i && strings.Contains(k, other) {
				return false
			}
		}
	}
	return true
}

// keywordLess is minimalKeywords' order: shorter first, then bytewise.
func keywordLess(a, b string) bool { return len(a) < len(b) || len(a) == len(b) && a < b }

// minimalKeywords drops a keyword that contains another of the same rule
// ("meraki api key" beside "meraki"): wherever it occurs the shorter one
// does too, so the rule runs on the same windows with a smaller automaton.
// The result is sorted.
func minimalKeywords(ks []string) []string {
	sort.Slice(ks, func(i, j int) bool { return keywordLess(ks[i], ks[j]) })
	out := ks[:0]
	for _, k := range ks {
		covered := false
		for _, short := range out {
			if strings.Contains(k, short) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
