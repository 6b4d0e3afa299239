package dfa

import (
	"math/rand"
	"regexp"
	"regexp/syntax"
	"testing"
)

func compile(t testing.TB, pattern string) (*regexp.Regexp, *Matcher) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	parsed, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(parsed)
	if err != nil {
		t.Fatalf("%s: %v", pattern, err)
	}
	return re, p.NewMatcher()
}

// The prefilter must say yes wherever the regex matches (it may say yes
// where the regex does not: assertions are dropped).
func TestSupersetOfRegex(t *testing.T) {
	cases := []struct {
		pattern string
		yes, no []string
	}{
		{`ghp_[A-Za-z0-9]{36}`, []string{"x ghp_" + repeat("a", 36)}, []string{"ghp_short", "GHP_" + repeat("a", 36)}},
		{`(?i)api[_\-.]?key\s*[:=]\s*["']([^"']{16,})["']`, []string{`API_KEY = "0123456789abcdef0"`, `apikey:'aaaaaaaaaaaaaaaaaaaa'`}, []string{`api_key = "short"`, `apikey = os.Getenv("X")`}},
		{`\bAKIA[A-Z2-7]{16}\b`, []string{"id=AKIAABCDEFGHIJKLMNOP;"}, []string{"AKIAabcdefghijklmnop"}},
		{`(?m)^password=(\S+)$`, []string{"a\npassword=hunter22\n"}, []string{"pass=x"}},
		// Kelvin sign folds with k; Go's regexp matches it.
		{`(?i)key=x`, []string{"\u212aey=x", "KEY=x"}, []string{"kex=x"}},
		{`a.b`, []string{"a€b", "a\xffb", "axb"}, []string{"a\nb"}},
		{`[^"'\s]{3}@`, []string{"é€x@", "abc@"}, []string{"ab@", "a b c@"}},
		{`日本`, []string{"x日本y"}, []string{"日"}},
		{`(?s)begin.*end`, []string{"begin\n\nend"}, []string{"end begin"}},
		{`x*`, []string{"", "abc"}, nil},
		{`[^\x00-\x{10FFFF}]`, nil, []string{"abc", "é"}},
	}
	for _, c := range cases {
		re, m := compile(t, c.pattern)
		for _, s := range c.yes {
			if !re.MatchString(s) {
				t.Fatalf("%s: bad case: regex does not match %q", c.pattern, s)
			}
			if !m.Match([]byte(s)) {
				t.Errorf("%s: prefilter says no on %q, which the regex matches", c.pattern, s)
			}
		}
		for _, s := range c.no {
			if re.MatchString(s) {
				t.Fatalf("%s: bad case: regex matches %q", c.pattern, s)
			}
			if m.Match([]byte(s)) {
				t.Errorf("%s: prefilter says yes on %q, which it could have ruled out", c.pattern, s)
			}
		}
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

// For an ASCII regex without assertions the prefilter decides exactly the
// regex's language, including when its cache overflows and is rebuilt
// mid-buffer: (a|b)*a(a|b){11} needs 4,096 DFA states.
func TestExactOnASCIIAndCacheOverflow(t *testing.T) {
	re, m := compile(t, `(a|b)*a(a|b){11}c`)
	rng := rand.New(rand.NewSource(1))
	for i := range 300 {
		buf := make([]byte, 50+rng.Intn(400))
		for j := range buf {
			buf[j] = "ab"[rng.Intn(2)]
			if rng.Intn(60) == 0 {
				buf[j] = 'c'
			}
		}
		if got, want := m.Match(buf), re.Match(buf); got != want {
			t.Fatalf("case %d: prefilter %v, regex %v on %q", i, got, want, buf)
		}
	}
	if m.resets == 0 {
		t.Fatal("the cache never overflowed: the test does not reach the rebuild")
	}
	if len(m.sets) > maxDFAStates {
		t.Fatalf("cache holds %d states, bound is %d", len(m.sets), maxDFAStates)
	}
}

func FuzzSuperset(f *testing.F) {
	f.Add(`(?i)secret[_-]?key\s*=\s*"([^"]{8,64})"`, []byte(`SECRET_KEY = "abcdefgh123"`))
	f.Add(`\b[a-f0-9]{40}\b`, []byte("commit 0123456789abcdef0123456789abcdef01234567\n"))
	f.Add(`(?m)^\s*token:\s*(\S{10,})$`, []byte("a: 1\n  token: abcdefghijkl\n"))
	f.Add(`(?i)k.s`, []byte("\u212a\u017f\u212a€s"))
	f.Add(`[^\s]{2,5}@[\p{L}]+`, []byte("üü@ñandú"))
	f.Fuzz(func(t *testing.T, pattern string, data []byte) {
		if len(pattern) > 100 {
			return // Go's own regexp compiler dominates on long patterns
		}
		parsed, err := syntax.Parse(pattern, syntax.Perl)
		if err != nil {
			return
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			return
		}
		p, err := Compile(parsed)
		if err != nil {
			return
		}
		if re.Match(data) && !p.NewMatcher().Match(data) {
			t.Fatalf("prefilter of %q says no on %q, which the regex matches", pattern, data)
		}
	})
}
