package rules

import (
	"errors"
	"os"
	"path/filepath"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

func TestLoadGitleaksConfig(t *testing.T) {
	cfg, err := LoadFile("../testdata/gitleaks/gitleaks.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ByID("aws-access-key-id") != nil {
		t.Error("disabledRules did not disable aws-access-key-id")
	}
	r := cfg.ByID("internal-api-token")
	if r == nil {
		t.Fatal("custom rule missing")
	}
	if r.SecretGroup != 1 || r.Entropy != 3.2 || len(r.Allowlists) != 1 || r.Allowlists[0].ContentOnly() {
		t.Errorf("rule fields not loaded: %+v", r)
	}
	def, _ := Default()
	if len(cfg.Rules) != len(def.Rules) {
		// one default disabled, one custom added
		t.Errorf("got %d rules, want %d (defaults - 1 + 1)", len(cfg.Rules), len(def.Rules))
	}
	if len(cfg.Allowlists) < 1 || cfg.Allowlists[len(cfg.Allowlists)-1].RegexTarget != TargetLine {
		t.Error("global [allowlist] not loaded")
	}
}

func TestLoadErrorsNameFileAndRule(t *testing.T) {
	cases := []struct {
		name, toml, wantRule, wantText string
	}{
		{"unknown field", `
[[rules]]
id = "a"
regex = "x"
[[rules]]
id = "b"
regex = "y"
colour = "red"
`, "b", "unknown field"},
		{"bad regex", `
[[rules]]
id = "broken"
regex = "a(b"
`, "broken", "does not compile"},
		{"duplicate id", `
[[rules]]
id = "dup"
regex = "a"
[[rules]]
id = "dup"
regex = "b"
`, "dup", "duplicate rule id"},
		{"no regex or path", `
[[rules]]
id = "empty"
`, "empty", "needs a regex"},
		{"bad secretGroup", `
[[rules]]
id = "grp"
regex = "(a)"
secretGroup = 2
`, "grp", "secretGroup"},
		{"unknown required", `
[[rules]]
id = "comp"
regex = "a"
  [[rules.required]]
  id = "nowhere"
`, "comp", "not defined"},
		{"bad allowlist regex", `
[[rules]]
id = "al"
regex = "a"
  [[rules.allowlists]]
  regexes = ["("]
`, "al", "allowlist 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadBytes("custom.toml", []byte(c.toml))
			if err == nil {
				t.Fatal("loaded without error")
			}
			var le *Error
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a *rules.Error", err)
			}
			if le.File != "custom.toml" || le.RuleID != c.wantRule {
				t.Errorf("error names file %q rule %q, want custom.toml %q", le.File, le.RuleID, c.wantRule)
			}
			if !strings.Contains(err.Error(), c.wantText) || !strings.Contains(err.Error(), "custom.toml") {
				t.Errorf("error %q does not say %q with the file", err, c.wantText)
			}
		})
	}
}

func TestExtendPathAndOverride(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.toml")
	os.WriteFile(base, []byte(`
[[rules]]
id = "shared"
description = "base"
regex = "tok_[a-z]{8}"
keywords = ["tok_"]
`), 0o644)
	top := filepath.Join(dir, "top.toml")
	os.WriteFile(top, []byte(`
[extend]
path = "base.toml"
[[rules]]
id = "shared"
description = "override"
  [[rules.allowlists]]
  stopwords = ["dummy"]
`), 0o644)
	cfg, err := LoadFile(top)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Rules) != 1 {
		t.Fatalf("got %d rules", len(cfg.Rules))
	}
	r := cfg.Rules[0]
	if r.Description != "override" || r.Pattern == "" || len(r.Allowlists) != 1 {
		t.Errorf("override not merged: %+v", r)
	}
}

func TestExtendURLRefused(t *testing.T) {
	_, err := LoadBytes("u.toml", []byte("[extend]\nurl = \"https://example.com/x.toml\"\n"))
	if err == nil || !strings.Contains(err.Error(), "url is not supported") {
		t.Fatalf("got %v", err)
	}
}

func TestRegexShape(t *testing.T) {
	cases := []struct {
		re        string
		max       int
		multiline bool
	}{
		{`abc`, 3, false},
		{`a{2,5}b?`, 6, false},
		{`[a-z]+`, -1, false},
		{`x\sy`, 3, true},
		{`(?s)a.b`, 6, true},
		{`(?:ab|cde)[0-9]{4}`, 7, false},
		{`é`, 2, false},
		{`key\s{0,3}=[a-z]+`, -1, true},
	}
	for _, c := range cases {
		cfg, err := LoadBytes("s.toml", []byte("[[rules]]\nid = \"s\"\nregex = '''"+c.re+"'''\n"))
		if err != nil {
			t.Fatal(err)
		}
		r := cfg.Rules[0]
		if r.MaxLen != c.max || r.Multiline != c.multiline || (r.MaxNewlines != 0) != c.multiline {
			t.Errorf("%s: max %d multiline %v, want %d %v", c.re, r.MaxLen, r.Multiline, c.max, c.multiline)
		}
	}
}

func TestDefaultRulesHaveKeywords(t *testing.T) {
	cfg, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range cfg.Rules {
		if r.Pattern != "" && len(r.Keywords) == 0 {
			t.Errorf("default rule %s has no keywords: it would run over every byte", r.ID)
		}
	}
}

func FuzzLoadBytes(f *testing.F) {
	f.Add([]byte("[[rules]]\nid = \"a\"\nregex = \"x\"\n"))
	f.Add([]byte("[extend]\nuseDefault = true\n"))
	f.Add([]byte("[[rules]]\nid=\"\"\n[[rules.allowlists]]\nregexes=[\"(\"]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := LoadBytes("fuzz.toml", data)
		if err == nil && cfg == nil {
			t.Fatal("nil config without error")
		}
	})
}

func TestStartsWithKeyword(t *testing.T) {
	cases := map[string]bool{
		`\b(ghp_[A-Za-z0-9]{36})\b`:                       true,
		`(?:^|[^A-Za-z0-9_\-])(glpat-[A-Za-z0-9_\-]{20})`: true,
		`(?i)twilio[\w.]{0,24}=([a-f0-9]{32})`:            true,
		`(?i:sid)["']?[ \t]{0,4}=(AC[a-f0-9]{32})`:        false, // keyword "account_sid" is not a prefix of "sid"
		`[\w.-]{0,20}ghp_[A-Za-z0-9]{36}`:                 false,
		`(?:ghp|gho)_[A-Za-z0-9]{36}`:                     false,
		// A context rule's start: a boundary and the word, or a camel-case word.
		`(?:(?:^|[^a-z0-9])(?i:ngc)|[a-z0-9](?:N(?i:gc)))[\w.\-]{0,32}=([A-Za-z0-9]{84})`: true,
		`(?:sk_live|xk_test)_[a-z]{10}`:        true,
		`(?:sk_live|xk_test|[a-z]+)_[a-z]{10}`: false, // a branch without a literal
		`(?:sk_live|xk_test)_[a-z]{12}`:        false, // keyword "pk_live" starts no branch
	}
	kw := map[string][]string{
		`\b(ghp_[A-Za-z0-9]{36})\b`:                                                       {"ghp_"},
		`(?:^|[^A-Za-z0-9_\-])(glpat-[A-Za-z0-9_\-]{20})`:                                 {"glpat-"},
		`(?i)twilio[\w.]{0,24}=([a-f0-9]{32})`:                                            {"twilio"},
		`(?i:sid)["']?[ \t]{0,4}=(AC[a-f0-9]{32})`:                                        {"account_sid"},
		`[\w.-]{0,20}ghp_[A-Za-z0-9]{36}`:                                                 {"ghp_"},
		`(?:ghp|gho)_[A-Za-z0-9]{36}`:                                                     {"ghp_", "gho_"},
		`(?:(?:^|[^a-z0-9])(?i:ngc)|[a-z0-9](?:N(?i:gc)))[\w.\-]{0,32}=([A-Za-z0-9]{84})`: {"ngc"},
		`(?:sk_live|xk_test)_[a-z]{10}`:                                                   {"sk_live", "xk_test"},
		`(?:sk_live|xk_test|[a-z]+)_[a-z]{10}`:                                            {"sk_live", "xk_test"},
		`(?:sk_live|xk_test)_[a-z]{12}`:                                                   {"sk_live", "xk_test", "pk_live"},
	}
	for re, want := range cases {
		toml := "[[rules]]\nid = \"r\"\nregex = '''" + re + "'''\nkeywords = ["
		for i, k := range kw[re] {
			if i > 0 {
				toml += ", "
			}
			toml += `"` + k + `"`
		}
		toml += "]\n"
		cfg, err := LoadBytes("k.toml", []byte(toml))
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Rules[0].Plan().StartsWithKeyword; got != want {
			t.Errorf("%s: StartsWithKeyword = %v, want %v", re, got, want)
		}
	}
}

func TestMustContain(t *testing.T) {
	cfg, err := LoadBytes("m.toml", []byte(`
[[rules]]
id = "url"
regex = '''\b[a-z]{2,8}://[^\s:@]{1,20}:([^\s:@]{3,40})@[a-z.]{1,40}'''
keywords = ["://"]
[[rules]]
id = "xml"
regex = '''(?i:key)=["'](?:password|secret)["'][ \t]{1,4}(?i:value)=["']([^"']{4,64})["']'''
keywords = ["password", "secret"]
`))
	if err != nil {
		t.Fatal(err)
	}
	got := func(id string) string {
		var parts []string
		for _, m := range cfg.ByID(id).Plan().MustContain {
			if m.Literal != "" {
				parts = append(parts, m.Literal)
			} else {
				parts = append(parts, "["+m.AnyOf+"]")
			}
		}
		return strings.Join(parts, " ")
	}
	if g := got("url"); g != ":// : @" {
		t.Errorf("url: %q", g)
	}
	if g := strings.ToLower(got("xml")); !strings.Contains(g, "key") || !strings.Contains(g, "value") || !strings.Contains(g, `["']`) {
		t.Errorf("xml: %q", g)
	}
}

func TestPrefilterShape(t *testing.T) {
	cfg, err := LoadBytes("p.toml", []byte(`
[[rules]]
id = "hex"
regex = '''(?i)github[\w.\-]{0,20}token\s*=\s*["']?([a-f0-9]{40})'''
keywords = ["github"]
[[rules]]
id = "short"
regex = '''key=([a-z]{3,6})'''
keywords = ["key"]
`))
	if err != nil {
		t.Fatal(err)
	}
	hex := cfg.ByID("hex")
	if len(hex.Plan().MustHaveRuns) != 1 || hex.Plan().MustHaveRuns[0].Min != 40 {
		t.Fatalf("hex: runs %+v, want one run of 40", hex.Plan().MustHaveRuns)
	}
	run := hex.Plan().MustHaveRuns[0]
	for _, c := range []byte("0123456789abcdefABCDEF") {
		if !run.Class[c] {
			t.Errorf("hex run lacks %q (the regex ignores case)", c)
		}
	}
	if run.Class['g'] || run.Class['"'] {
		t.Error("hex run holds bytes outside [a-fA-F0-9]")
	}
	// (?i)k also matches the Kelvin sign: its UTF-8 bytes stay in the run.
	fold, err := LoadBytes("fold.toml", []byte(`
[[rules]]
id = "ks"
regex = '''(?i)x(k{10})'''
keywords = ["x"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if runs := fold.ByID("ks").Plan().MustHaveRuns; len(runs) != 1 || !runs[0].Class['k'] || !runs[0].Class['K'] || !runs[0].Class[0xE2] {
		t.Errorf("ks: runs %+v, want k, K and the Kelvin sign's bytes", runs)
	}
	if n := len(cfg.ByID("short").Plan().MustHaveRuns); n != 0 {
		t.Errorf("short: %d runs; repeats under %d are not worth a check", n, minRunLen)
	}
	// An alternation whose every branch holds a run holds the shortest of
	// them, in the union of their classes; one branch without a run (or
	// with a short one) leaves none.
	alt, err := LoadBytes("alt.toml", []byte(`
[[rules]]
id = "both"
regex = '''ngc[=:]([A-Za-z0-9]{84}|[a-z]{26}:[0-9a-f]{8}-[0-9a-f]{12})'''
keywords = ["ngc"]

[[rules]]
id = "one"
regex = '''ngc[=:]([A-Za-z0-9]{84}|[a-z]{4}:xyz)'''
keywords = ["ngc"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if runs := alt.ByID("both").Plan().MustHaveRuns; len(runs) != 1 || runs[0].Min != 26 || !runs[0].Class['Z'] || !runs[0].Class['q'] || runs[0].Class[':'] {
		t.Errorf("both: runs %+v, want one of 26 in [A-Za-z0-9]", runs)
	}
	if runs := alt.ByID("one").Plan().MustHaveRuns; len(runs) != 0 {
		t.Errorf("one: runs %+v, want none (a branch has no run of %d)", runs, minRunLen)
	}
	// The prefilter drops captures and large counts but keeps the rest.
	// U+017F and the Kelvin sign fold with s and k.
	want := "(?i:GITHUB[\\-\\.0-9A-Z_a-z\u017f\u212a]{0,}TOKEN[\\t\\n\\f\\r ]*=[\\t\\n\\f\\r ]*[\"']?[0-9A-Fa-f]{4,})"
	if got := hex.Prefilter().String(); got != want {
		t.Errorf("prefilter\n %s, want\n %s", got, want)
	}
}

func TestLead(t *testing.T) {
	cfg, err := LoadBytes("lead.toml", []byte(`
[[rules]]
id = "pat"
regex = '''(?:^|[^A-Za-z0-9_\-])(pat[A-Za-z0-9]{14}\.[a-f0-9]{64})'''
keywords = ["pat"]
[[rules]]
id = "ghp"
regex = '''\b(ghp_[A-Za-z0-9]{36})\b'''
keywords = ["ghp_"]
[[rules]]
id = "fold"
regex = '''(?i)\bxkeysib-[a-f0-9]{64}'''
keywords = ["xkeysib-"]
[[rules]]
id = "middle"
regex = '''api_key\s*=\s*"([a-z0-9]{20})"'''
keywords = ["key"]
`))
	if err != nil {
		t.Fatal(err)
	}
	pat := cfg.ByID("pat").Plan().Lead
	if pat == nil || pat.Literal != "pat" || pat.Fold || pat.Before == nil {
		t.Fatalf("pat: %+v", pat)
	}
	for c, want := range map[byte]bool{'e': false, '_': false, '-': false, '7': false, ' ': true, '"': true, '\n': true, 0xC3: true} {
		if pat.Before[c] != want {
			t.Errorf("pat: byte %q before the literal allowed = %v, want %v", c, pat.Before[c], want)
		}
	}
	ghp := cfg.ByID("ghp").Plan().Lead
	if ghp == nil || ghp.Literal != "ghp_" || ghp.Before['x'] || !ghp.Before['='] {
		t.Fatalf("ghp: %+v", ghp)
	}
	if f := cfg.ByID("fold").Plan().Lead; f == nil || !f.Fold {
		t.Fatalf("fold: %+v", f)
	}
	if m := cfg.ByID("middle").Plan().Lead; m != nil {
		t.Fatalf("middle: the keyword is not where matches start, yet Lead = %+v", m)
	}
}

// TestShapeWithoutSimplify: the loader sizes windows from the parsed regex
// without simplifying it (that waits for the rule's plan); the bounds must
// be those of the simplified regex.
func TestShapeWithoutSimplify(t *testing.T) {
	cfg, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range cfg.Rules {
		if r.Pattern == "" {
			continue
		}
		parsed, err := syntax.Parse(r.Pattern, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := shapeOf(parsed), regexShape(parsed); got != want {
			t.Errorf("rule %s: shape %+v without simplifying, %+v simplified", r.ID, got, want)
		}
	}
}

// regexShape is the shape of the simplified regex, which the loader's
// shapeOf on the parsed one must equal.
func regexShape(re *syntax.Regexp) shape {
	return shapeOf(re.Simplify())
}

// ruleKeywords returns keywords that are already minimal as they are, and
// makes the same of any other list as it always did.
func TestRuleKeywordsMinimal(t *testing.T) {
	for _, tc := range []struct {
		in, want []string
		same     bool
	}{
		{[]string{"ghp_"}, []string{"ghp_"}, true},
		{[]string{"akia", "asia"}, []string{"akia", "asia"}, true},
		{[]string{"asia", "akia"}, []string{"akia", "asia"}, false},
		{[]string{"GHP_"}, []string{"ghp_"}, false},
		{[]string{"meraki", "meraki api key"}, []string{"meraki"}, false},
		{[]string{"meraki api key", "meraki"}, []string{"meraki"}, false},
		{[]string{"b", "ab"}, []string{"b"}, false},
		{[]string{"x", "x"}, []string{"x"}, false},
	} {
		got, err := ruleKeywords(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ruleKeywords(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if same := len(got) > 0 && &got[0] == &tc.in[0]; same != tc.same {
			t.Errorf("ruleKeywords(%q) returned its input: %v, want %v", tc.in, same, tc.same)
		}
	}
	if _, err := ruleKeywords([]string{""}); err == nil {
		t.Error("an empty keyword loaded")
	}
}
