package detectors

import (
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/rules"
)

func load(t *testing.T, toml string) *rules.Config {
	t.Helper()
	cfg, err := rules.LoadBytes("test.toml", []byte(toml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const tokenRule = `
[[rules]]
id = "tok"
description = "token"
regex = '''\b(tok_[A-Za-z0-9]{24})\b'''
keywords = ["tok_"]
entropy = 3.0
`

func TestScanLineColumnAndSecret(t *testing.T) {
	e := New(load(t, tokenRule))
	data := "first line\n  second tok_Q2x9LmP4vR7sT1uW3yZ5aB8c end\nthird TOK_Q2x9LmP4vR7sT1uW3yZ5aB8c\n"
	ms := e.Scan([]byte(data))
	if len(ms) != 1 {
		t.Fatalf("got %d matches, want 1 (keyword match is case-insensitive, regex is not): %+v", len(ms), ms)
	}
	m := ms[0]
	if m.Line != 2 || m.Column != 10 {
		t.Errorf("line:col = %d:%d, want 2:10", m.Line, m.Column)
	}
	if m.Secret != "tok_Q2x9LmP4vR7sT1uW3yZ5aB8c" || data[m.SecretStart:m.SecretEnd] != m.Secret {
		t.Errorf("secret = %q at %d-%d", m.Secret, m.SecretStart, m.SecretEnd)
	}
	if m.LineText != "  second tok_Q2x9LmP4vR7sT1uW3yZ5aB8c end" {
		t.Errorf("line text = %q", m.LineText)
	}
}

func TestEntropyThreshold(t *testing.T) {
	e := New(load(t, tokenRule))
	if ms := e.Scan([]byte("tok_aaaaaaaaaaaaaaaaaaaaaaaa")); len(ms) != 0 {
		t.Fatalf("low-entropy secret matched: %+v", ms)
	}
}

func TestManyMatchesAndRepeatedKeywords(t *testing.T) {
	e := New(load(t, tokenRule))
	var b strings.Builder
	for i := 0; i < 500; i++ {
		b.WriteString("x tok_Q2x9LmP4vR7sT1uW3yZ5aB8c y tok_ tok_ tok_\n")
	}
	ms := e.Scan([]byte(b.String()))
	if len(ms) != 500 {
		t.Fatalf("got %d matches, want 500", len(ms))
	}
	for i, m := range ms {
		if m.Line != i+1 || m.Column != 3 {
			t.Fatalf("match %d at %d:%d, want %d:3", i, m.Line, m.Column, i+1)
		}
	}
}

func TestAllowlists(t *testing.T) {
	cfg := load(t, tokenRule+`
  [[rules.allowlists]]
  regexes = ['''Q2x9''']
  [[rules.allowlists]]
  regexTarget = "line"
  regexes = ['''# fake''']
  [[rules.allowlists]]
  stopwords = ["zzzz"]

[[allowlists]]
regexTarget = "match"
regexes = ['''tok_GLOBAL''']
`)
	e := New(cfg)
	cases := map[string]int{
		"tok_Q2x9LmP4vR7sT1uW3yZ5aB8c":        0, // rule allowlist on secret
		"tok_H7k2Lm9pR4sT1uW3yZ5aB8cd # fake": 0, // line target
		"tok_H7k2Lm9pRzzzzuW3yZ5aB8cd":        0, // stopword
		"tok_GLOBALpR4sT1uW3yZ5aB8cd":         0, // global, match target
		"tok_H7k2Lm9pR4sT1uW3yZ5aB8cd # real": 1,
	}
	for in, want := range cases {
		if got := len(e.Scan([]byte(in))); got != want {
			t.Errorf("%q: %d matches, want %d", in, got, want)
		}
	}
}

func TestAllowlistAndCondition(t *testing.T) {
	cfg := load(t, tokenRule+`
  [[rules.allowlists]]
  condition = "AND"
  regexes = ['''Q2x9''']
  paths = ['''^test/''']
`)
	r := cfg.Rules[0]
	o := rules.Occurrence{Secret: "tok_Q2x9LmP4vR7sT1uW3yZ5aB8c"}
	// Content alone cannot decide an AND list with a path: the engine keeps it.
	if ms := New(cfg).Scan([]byte(o.Secret)); len(ms) != 1 {
		t.Fatalf("engine dropped a match an AND allowlist needs a path for")
	}
	o.Path = "test/a.go"
	if !cfg.Allowed(r, o, false) {
		t.Error("AND allowlist should allow when path and regex both match")
	}
	o.Path = "src/a.go"
	if cfg.Allowed(r, o, false) {
		t.Error("AND allowlist allowed with only the regex matching")
	}
}

func TestSecretGroupDefaultsToFirstNonEmptyGroup(t *testing.T) {
	e := New(load(t, `
[[rules]]
id = "kv"
description = "kv"
regex = '''(?i)(?:key=([a-z0-9]{8,16})|secret=([a-z0-9]{8,16}))'''
keywords = ["key=", "secret="]
`))
	ms := e.Scan([]byte("secret=abc123def456"))
	if len(ms) != 1 || ms[0].Secret != "abc123def456" {
		t.Fatalf("got %+v", ms)
	}
}

func TestMultilineRuleAcrossLines(t *testing.T) {
	e := New(load(t, `
[[rules]]
id = "pk"
description = "private key"
regex = '''-----BEGIN[ A-Z]{0,20} PRIVATE KEY-----[A-Za-z0-9+/=\s]{32,}?-----END[ A-Z]{0,20} PRIVATE KEY-----'''
keywords = ["private key-----"]
`))
	body := strings.Repeat("MIIEowIBAAKCAQEAuZ3k9q0Fv7yZ8VQx1m2N3b4V5c6X7z8A9s0D1f2G3h4J5k6L\n", 25)
	data := "a\nb\n-----BEGIN RSA PRIVATE KEY-----\n" + body + "-----END RSA PRIVATE KEY-----\n"
	ms := e.Scan([]byte(data))
	if len(ms) != 1 {
		t.Fatalf("got %d matches, want 1", len(ms))
	}
	if ms[0].Line != 3 || !strings.HasSuffix(ms[0].Secret, "-----END RSA PRIVATE KEY-----") {
		t.Fatalf("got line %d secret %q", ms[0].Line, ms[0].Secret[:40])
	}
}

func TestRuleWithoutKeywordsRunsEverywhere(t *testing.T) {
	e := New(load(t, `
[[rules]]
id = "nokw"
description = "no keywords"
regex = '''ZQX[0-9]{6}'''
`))
	if ms := e.Scan([]byte("a ZQX123456 b")); len(ms) != 1 {
		t.Fatalf("got %d", len(ms))
	}
}

func TestCompositeRequired(t *testing.T) {
	cfg := load(t, `
[[rules]]
id = "user"
description = "user id"
regex = '''uid_[0-9]{6}'''
keywords = ["uid_"]
skipReport = true

[[rules]]
id = "pass"
description = "password for a user id"
regex = '''pw_[a-z]{8}'''
keywords = ["pw_"]
  [[rules.required]]
  id = "user"
  withinLines = 1
`)
	e := New(cfg)
	// The skipReport companion stays in the matches (the scanner leaves it
	// out of reports); the composite rule needs it near.
	if ms := e.Scan([]byte("uid_123456\npw_abcdefgh\n")); len(ms) != 2 || ms[1].Rule.ID != "pass" || !ms[0].Rule.SkipReport {
		t.Fatalf("near companion: got %+v", ms)
	}
	if ms := e.Scan([]byte("uid_123456\n\n\n\npw_abcdefgh\n")); len(ms) != 1 || ms[0].Rule.ID != "user" {
		t.Fatalf("far companion: got %d matches", len(ms))
	}
}

func TestGitHubChecksum(t *testing.T) {
	// Build a token with a valid checksum from 30 random characters.
	random := "Q2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g"
	good := "ghp_" + random + encodeBase62(crc32IEEE(random), 6)
	if !GitHubChecksum(good) {
		t.Fatalf("valid checksum rejected: %s", good)
	}
	bad := good[:len(good)-1] + "A"
	if good[len(good)-1] == 'A' {
		bad = good[:len(good)-1] + "B"
	}
	if GitHubChecksum(bad) {
		t.Fatal("bad checksum accepted")
	}
}

func TestEntropyValues(t *testing.T) {
	if Entropy([]byte("aaaa")) != 0 {
		t.Error("entropy of one repeated byte should be 0")
	}
	if e := Entropy([]byte("abcd")); e != 2 {
		t.Errorf("entropy(abcd) = %v, want 2", e)
	}
}

func FuzzScan(f *testing.F) {
	cfg, err := rules.Default()
	if err != nil {
		f.Fatal(err)
	}
	e := New(cfg)
	f.Add([]byte("aws_access_key_id = AKIAZ3MSJV4WQPTHKR7N\n"))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nabc\n"))
	f.Add([]byte{0, 0xff, '\n', 'a', 'k', 'i', 'a'})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range e.Scan(data) {
			if m.Start < 0 || m.End > len(data) || m.Start > m.End || m.SecretStart < m.Start || m.SecretEnd > m.End {
				t.Fatalf("bad offsets %+v in %d bytes", m, len(data))
			}
			if m.Line < 1 || m.Column < 1 {
				t.Fatalf("bad position %d:%d", m.Line, m.Column)
			}
		}
	})
}

// TestUnboundedRuleWithBoundedNewlines covers a rule whose repeats are
// unbounded but cannot cross lines except through a few bounded \s: the
// window spans just those lines around the keyword.
func TestUnboundedRuleWithBoundedNewlines(t *testing.T) {
	e := New(load(t, `
[[rules]]
id = "kv"
description = "kv"
regex = '''(?i)[\w.]{0,20}apikey\s{0,2}[:=]\s{0,2}([a-z0-9]{12,})'''
keywords = ["apikey"]
`))
	filler := strings.Repeat("filler line of text\n", 200)
	data := filler + "conf.apikey =\n abcdef0123456789abcdef0123456789\n" + filler + "x.apikey= qwertyuiop12345\n"
	ms := e.Scan([]byte(data))
	if len(ms) != 2 {
		t.Fatalf("got %d matches", len(ms))
	}
	if ms[0].Secret != "abcdef0123456789abcdef0123456789" || ms[0].Line != 201 || ms[1].Secret != "qwertyuiop12345" || ms[1].Line != 403 {
		t.Fatalf("got %q@%d %q@%d", ms[0].Secret, ms[0].Line, ms[1].Secret, ms[1].Line)
	}
}

func TestInlineAllowComments(t *testing.T) {
	e := New(load(t, tokenRule))
	for _, line := range []string{
		`key = "tok_Q2x9LmP4vR7sT1uW3yZ5aB8c" # achilles:allow`,
		`key = "tok_Q2x9LmP4vR7sT1uW3yZ5aB8c" // gitleaks:allow`,
		`key = "tok_Q2x9LmP4vR7sT1uW3yZ5aB8c"  # pragma: allowlist secret`,
		`key = "tok_Q2x9LmP4vR7sT1uW3yZ5aB8c" # trufflehog:ignore`,
	} {
		if ms := e.Scan([]byte(line)); len(ms) != 0 {
			t.Errorf("%q: not suppressed", line)
		}
	}
	// The marker only covers its own line.
	if ms := e.Scan([]byte("# achilles:allow\nkey = tok_Q2x9LmP4vR7sT1uW3yZ5aB8c\n")); len(ms) != 1 {
		t.Errorf("a marker on another line suppressed the match")
	}
}

func TestGenericMatchShadowedBySpecificRule(t *testing.T) {
	e := New(load(t, tokenRule+`
confidence = "high"

[[rules]]
id = "generic-token"
description = "generic"
regex = '''(?i)token[ \t]{0,3}[:=][ \t]{0,3}([A-Za-z0-9_]{16,64})'''
keywords = ["token"]
confidence = "low"
`))
	ms := e.Scan([]byte("token: tok_Q2x9LmP4vR7sT1uW3yZ5aB8c\ntoken = Zq8Lm2Xp9Rv4Ts7Uw1Yb\n"))
	if len(ms) != 2 || ms[0].Rule.ID != "tok" || ms[1].Rule.ID != "generic-token" || ms[1].Line != 2 {
		for _, m := range ms {
			t.Logf("%s %d %q", m.Rule.ID, m.Line, m.Secret)
		}
		t.Fatalf("got %d matches", len(ms))
	}
}

func TestMustContainSkipsWindowsButNotMatches(t *testing.T) {
	e := New(load(t, `
[[rules]]
id = "url"
description = "password in URL"
regex = '''\b[a-z]{2,8}://[^\s:@]{1,20}:([^\s:@]{3,40})@[a-z.]{1,40}'''
keywords = ["://"]
`))
	data := "see https://example.com/docs\nDB=postgres://app:Zk8vQ2pX7rLm@db.internal\nhttp://x.org\n"
	ms := e.Scan([]byte(data))
	if len(ms) != 1 || ms[0].Secret != "Zk8vQ2pX7rLm" || ms[0].Line != 2 {
		t.Fatalf("%+v", ms)
	}
	if containsFold([]byte("xx VaLuE=1"), "value") != true || containsFold([]byte("valu"), "value") {
		t.Fatal("containsFold")
	}
}

// Every default rule gets a DFA prefilter: none is too big for one.
func TestDefaultRulesHavePrefilters(t *testing.T) {
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	e := New(cfg)
	for i, r := range e.regexIdx {
		if e.prefilters[i].get(r) == nil {
			t.Errorf("%s: no prefilter", r.ID)
		}
	}
}

// A keyword hit inside the window of an earlier hit of the same rule still
// gets its own window when that one reaches further: the secret after the
// second hit lies past the first window's end.
func TestLaterHitInsideEarlierWindowExtendsIt(t *testing.T) {
	e := New(load(t, `
[[rules]]
id = "kv"
regex = '''kv[a-z_]{0,10}\s{0,3}=\s{0,3}"([a-f0-9]{32})"'''
keywords = ["kv"]
`))
	secret := "0123456789abcdef0123456789abcdef"
	data := "kv mentioned here, and kv again on this line\nkv_admin_key = \"" + secret + "\"\n"
	if first := strings.Index(data, "kv_admin"); first+len("kv") > 54 {
		t.Fatalf("bad case: the last hit (at %d) must lie inside the first hit's window", first)
	}
	ms := e.Scan([]byte(data))
	if len(ms) != 1 || ms[0].Secret != secret {
		t.Fatalf("got %+v, want the secret on line 2", ms)
	}
}
