package detectors

import (
	"fmt"
	"strings"

	"github.com/achilles-sec/achilles/rules"
)

// ExampleFailure is a rule example that did not behave as declared.
type ExampleFailure struct {
	RuleID string
	// Positive is true for an example that should have matched and did not.
	Positive bool
	Index    int
	Reason   string
}

func (f ExampleFailure) String() string {
	kind := "negativeExamples"
	if f.Positive {
		kind = "examples"
	}
	return fmt.Sprintf("rule %s: %s[%d]: %s", f.RuleID, kind, f.Index, f.Reason)
}

// CheckExamples scans every rule's examples with the whole rule set, as a
// scan would, and returns those that fail: a positive example must yield a
// match of its rule (at full confidence, unless the rule's own confidence is
// lower), a negative example must yield none. With requireBoth, a rule that
// lacks positive or negative examples fails too.
func CheckExamples(cfg *rules.Config, requireBoth bool) []ExampleFailure {
	e := New(cfg)
	// An example is about its own rule: a more confident rule that also
	// matches it (and would shadow it in a scan) does not make it fail.
	e.keepShadowed = true
	var fails []ExampleFailure
	for _, r := range cfg.Rules {
		if requireBoth && len(r.Examples) == 0 {
			fails = append(fails, ExampleFailure{RuleID: r.ID, Positive: true, Index: 0, Reason: "the rule has no positive example"})
		}
		if requireBoth && len(r.NegativeExamples) == 0 {
			fails = append(fails, ExampleFailure{RuleID: r.ID, Index: 0, Reason: "the rule has no negative example"})
		}
		for i, ex := range r.Examples {
			if !e.matchesRule(r, ex) {
				fails = append(fails, ExampleFailure{RuleID: r.ID, Positive: true, Index: i, Reason: "no match"})
			}
		}
		for i, ex := range r.NegativeExamples {
			if e.matchesRule(r, ex) {
				fails = append(fails, ExampleFailure{RuleID: r.ID, Index: i, Reason: "matched"})
			}
		}
	}
	return fails
}

func (e *Engine) matchesRule(r *rules.Rule, example string) bool {
	path := r.ExamplePath
	if path == "" {
		path = "example.txt"
	}
	if r.Path != nil && !r.Path.MatchString(path) {
		return false
	}
	if r.Pattern == "" {
		return true
	}
	for _, m := range e.Scan([]byte(example)) {
		if m.Rule != r || m.ChecksumFailed {
			continue
		}
		if e.cfg.Allowed(r, rules.Occurrence{Secret: m.Secret, Match: m.Text, Line: m.LineText, Path: path}, false) {
			continue
		}
		return true
	}
	return false
}

// contextTemplates are the places a key is commonly written: NAME is the
// variable's name in upper snake case, name in lower snake case, Name in
// camel case, SECRET the key.
var contextTemplates = []struct{ kind, text string }{
	{"env", "NAME=SECRET\n"},
	{"shell", "export NAME=\"SECRET\"\n"},
	{"yaml", "env:\n  name: SECRET\n"},
	{"yaml-quoted", "  NAME: 'SECRET'\n"},
	{"json", "{\n  \"Name\": \"SECRET\",\n  \"debug\": false\n}\n"},
	{"python", "name = \"SECRET\"\n"},
	{"go", "\tos.Setenv(\"NAME\", \"SECRET\")\n"},
	{"javascript", "const Name = 'SECRET';\n"},
	{"java", "private static final String NAME = \"SECRET\";\n"},
	{"dockerfile", "ENV NAME=SECRET\n"},
	{"cli", "tool deploy --name SECRET\n"},
	{"url", "https://api.example.com/v1/items?name=SECRET&page=2\n"},
	{"toml", "[service]\nname = \"SECRET\"\n"},
}

// ContextName is the variable name the context check writes a rule's key
// under: for a context rule, its first near word followed by API_KEY; for a
// rule whose key carries its own prefix, a neutral name.
func ContextName(near []string) string {
	if len(near) == 0 {
		return "SERVICE_API_KEY"
	}
	var b []byte
	for _, c := range []byte(near[0]) {
		switch {
		case c >= 'a' && c <= 'z':
			b = append(b, c-'a'+'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b = append(b, c)
		default:
			b = append(b, '_')
		}
	}
	return string(b) + "_API_KEY"
}

// CheckContexts takes the key of each selected rule's first example and
// writes it in every context template under the name ContextName gives;
// each must yield a match of the rule with the same key.
func CheckContexts(cfg *rules.Config, selected func(*rules.Rule) bool) []ExampleFailure {
	e := New(cfg)
	e.keepShadowed = true
	var fails []ExampleFailure
	for _, r := range cfg.Rules {
		if !selected(r) || r.Pattern == "" || r.Path != nil || r.SkipReport || len(r.Examples) == 0 {
			continue
		}
		secret := ""
		for _, m := range e.Scan([]byte(r.Examples[0])) {
			if m.Rule == r && !m.ChecksumFailed {
				secret = m.Secret
				break
			}
		}
		if secret == "" {
			fails = append(fails, ExampleFailure{RuleID: r.ID, Positive: true, Reason: "examples[0] gives no key to write in contexts"})
			continue
		}
		upper := ContextName(r.Near)
		lower := strings.ToLower(upper)
		camel := camelCase(lower)
		for _, tpl := range contextTemplates {
			text := tpl.text
			for _, kv := range [][2]string{{"SECRET", "\x00"}, {"NAME", upper}, {"Name", camel}, {"name", lower}, {"\x00", secret}} {
				text = strings.ReplaceAll(text, kv[0], kv[1])
			}
			found := false
			for _, m := range e.Scan([]byte(text)) {
				if m.Rule == r && m.Secret == secret {
					found = true
					break
				}
			}
			if !found {
				fails = append(fails, ExampleFailure{RuleID: r.ID, Positive: true, Reason: fmt.Sprintf("key not found written as %s: %q", tpl.kind, text)})
			}
		}
	}
	return fails
}

func camelCase(snake string) string {
	var b []byte
	up := false
	for _, c := range []byte(snake) {
		if c == '_' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c = c - 'a' + 'A'
		}
		up = false
		b = append(b, c)
	}
	return string(b)
}
