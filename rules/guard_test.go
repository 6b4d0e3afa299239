package rules

import (
	"math/rand"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestGuardOf(t *testing.T) {
	for _, c := range []struct {
		src            string
		prefix, suffix string
		only           string // bytes the set must hold ("" for no set)
		allows, denies []string
	}{
		{src: `^\$\{[^}]{1,120}\}$`, prefix: "${", suffix: "}", only: "${}aZ\x80\xff",
			allows: []string{"${HOME}"}, denies: []string{"sk_live_x", "${HOME", "x${HOME}"}},
		{src: `^(?:0+|1+|a+|Z+)$`, only: "01aZ", allows: []string{"aaaa", "0", ""}, denies: []string{"01", "aa_a", "b", "aé"}},
		{src: `^(?:[ab]+|(c|d)+)$`, only: "abcd", allows: []string{"abba", "cdc"}, denies: []string{"ac"}},
		{src: `(?i)^test\w{0,20}$|^\w{0,20}test$`, only: "testTESTabc_09\xe2\x84\xaa",
			allows: []string{"TestKey"}, denies: []string{"test-key"}},
		{src: `(?i)\.lock$`, allows: []string{"x.LOCK", "anything"}},
		{src: `\.lock$`, suffix: ".lock", allows: []string{"a.lock"}, denies: []string{"a.LOCK"}},
		{src: `(?m)^abc$`, allows: []string{"x\nabc", "zzz"}},
		{src: `^ab(c)`, prefix: "ab", allows: []string{"abc"}, denies: []string{"xabc"}},
		{src: `^a.b$`, prefix: "a", suffix: "b", only: "ab\x00\xff", denies: []string{"a\nb"}},
		{src: `abc|^x$`, allows: []string{"anything"}},
		{src: `(`, allows: []string{"anything"}},
	} {
		g := guardOf(c.src)
		if g.prefix != c.prefix || g.suffix != c.suffix || (g.only != nil) != (c.only != "") {
			t.Errorf("%s: guard %q %q set %v, want %q %q set %v", c.src, g.prefix, g.suffix, g.only != nil, c.prefix, c.suffix, c.only != "")
			continue
		}
		for i := 0; i < len(c.only); i++ {
			if !slices.ContainsFunc(g.only, func(s byteSet) bool { return s.has(c.only[i]) }) {
				t.Errorf("%s: byte %#x in no set", c.src, c.only[i])
			}
		}
		for _, s := range c.allows {
			if !g.allows(s) {
				t.Errorf("%s: guard rules out %q", c.src, s)
			}
		}
		for _, s := range c.denies {
			if g.allows(s) {
				t.Errorf("%s: guard lets %q through", c.src, s)
			}
		}
	}
}

// builtinPatterns are the patterns of the built-in allowlists, with the
// guards catalogue_gen.go gave them.
func builtinPatterns(t testing.TB) []*Pattern {
	cfg, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	lists := slices.Clone(cfg.Allowlists)
	for _, r := range cfg.Rules {
		lists = append(lists, r.Allowlists...)
	}
	var out []*Pattern
	seen := map[*Pattern]bool{}
	for _, a := range lists {
		for _, p := range slices.Concat(a.Regexes, a.Paths) {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// A guard never rules out a text its regex matches: every built-in
// pattern against the catalogue's examples, their lines and words, and
// random texts made of each pattern's own literals.
func TestGuardsAreSound(t *testing.T) {
	pats := builtinPatterns(t)
	cfg, _ := Default()
	texts := []string{"", "${HOME}", "{{ .Token }}", "<your-key>", "%(name)s", "$API_KEY", "%API_KEY%", "#{key}", "@KEY@",
		"aaaaaaaa", "00000000", "xxxxxxxxxxxx", "******", "test", "TestValue", "123456", "...", "(secret)", "[redacted]"}
	for _, r := range cfg.Rules {
		for _, ex := range slices.Concat(r.Examples, r.NegativeExamples) {
			texts = append(texts, ex)
			texts = append(texts, strings.Split(ex, "\n")...)
			texts = append(texts, strings.FieldsFunc(ex, func(c rune) bool { return strings.ContainsRune(" \t\n\"'=:,;", c) })...)
		}
	}
	rng := rand.New(rand.NewSource(7))
	guarded := 0
	for _, p := range pats {
		if p.guard.prefix == "" && p.guard.suffix == "" && p.guard.only == nil {
			continue
		}
		guarded++
		re := regexp.MustCompile(p.src)
		cand := texts
		// Texts built from the pattern's own characters reach its
		// anchored shapes far more often than the examples do.
		alphabet := []rune(strings.Map(func(r rune) rune {
			if strings.ContainsRune(`\^$?*+()[]{}|`, r) {
				return -1
			}
			return r
		}, p.src) + "aZ0_-")
		for i := 0; i < 300; i++ {
			b := make([]rune, 1+rng.Intn(12))
			for j := range b {
				b[j] = alphabet[rng.Intn(len(alphabet))]
			}
			cand = append(cand, p.guard.prefix+string(b)+p.guard.suffix, string(b))
		}
		for _, s := range cand {
			if re.MatchString(s) && !p.guard.allows(s) {
				t.Fatalf("pattern %q matches %q, which its guard rules out", p.src, s)
			}
		}
	}
	if guarded == 0 {
		t.Fatal("no built-in pattern has a guard: catalogue_gen.go is stale")
	}
	t.Logf("%d of %d built-in patterns guarded", guarded, len(pats))
}

// FuzzGuard holds every built-in pattern's guard to its regex on any text.
func FuzzGuard(f *testing.F) {
	pats := builtinPatterns(f)
	res := make([]*regexp.Regexp, len(pats))
	for i, p := range pats {
		res[i] = regexp.MustCompile(p.src)
	}
	for _, s := range []string{"${HOME}", "aaaa", "x.lock", "{{x}}", "<x>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, p := range pats {
			if res[i].MatchString(s) && !p.guard.allows(s) {
				t.Fatalf("pattern %q matches %q, which its guard rules out", p.src, s)
			}
		}
	})
}
