package rules

import (
	"os"
	"strings"
	"testing"
)

func TestProviderReferences(t *testing.T) {
	good := `
[[providers]]
id = "linode"
name = "Linode"
docs = "https://techdocs.akamai.com/linode-api/reference/api"

[[rules]]
id = "linode-token"
provider = "linode"
near = ["linode"]
secret = '''[a-f0-9]{64}'''
examples = ["LINODE_TOKEN=4f2a"]
`
	cfg, err := LoadBytes("good.toml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Provider("linode")
	if p == nil || len(p.Rules) != 1 || p.Rules[0].ID != "linode-token" || p.Rules[0].SecretGroup != 1 || p.Rules[0].Entropy != 3 {
		t.Fatalf("provider not resolved: %+v", p)
	}
	if k := p.Rules[0].Keywords; len(k) != 1 || k[0] != "linode" {
		t.Errorf("keywords = %v, want the near words", k)
	}
	for name, text := range map[string]string{
		"unknown provider": strings.Replace(good, `provider = "linode"`, `provider = "lindoe"`, 1),
		"duplicate provider": good + `
[[providers]]
id = "linode"
name = "Linode again"
`,
		"http docs":       strings.Replace(good, "https://techdocs", "http://techdocs", 1),
		"near and regex":  strings.Replace(good, `near = ["linode"]`, `near = ["linode"]`+"\nregex = 'x'", 1),
		"short near word": strings.Replace(good, `near = ["linode"]`, `near = ["li"]`, 1),
		"near, no secret": strings.Replace(good, "secret = '''[a-f0-9]{64}'''", "", 1),
	} {
		_, err := LoadBytes("bad.toml", []byte(text))
		if err == nil || !strings.Contains(err.Error(), "bad.toml") {
			t.Errorf("%s: err = %v, want a load error naming the file", name, err)
		}
	}
	if _, err := LoadBytes("bad.toml", []byte(strings.Replace(good, `provider = "linode"`, `provider = "lindoe"`, 1))); err == nil || !strings.Contains(err.Error(), `"linode-token"`) || !strings.Contains(err.Error(), "lindoe") {
		t.Errorf("unknown provider error should name the rule and the provider: %v", err)
	}
}

// TestOverrideOfPreparedRule: a user's file that extends the built-in rules
// and changes a built-in rule's regex gets that regex, sized afresh (the
// built-in rules arrive prepared, with their shapes computed).
func TestOverrideOfPreparedRule(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/over.toml"
	text := "[extend]\nuseDefault = true\n\n[[rules]]\nid = \"civo-api-key\"\nregex = '''(civo_[a-z]{10})'''\n\n[[rules]]\nid = \"mine\"\nregex = '''x'''\n  [[rules.allowlists]]\n  regexes = ['''(''']\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), "does not compile") {
		t.Errorf("a bad allowlist regex in a user's file must fail the load: %v", err)
	}
	text = strings.Replace(text, "regexes = ['''(''']", "regexes = ['''ok''']", 1)
	os.WriteFile(path, []byte(text), 0o600)
	cfg, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.ByID("civo-api-key")
	if r.Pattern != "(civo_[a-z]{10})" || r.MaxLen != 15 || len(r.Near) != 0 {
		t.Errorf("override: pattern %q, max length %d, near %v", r.Pattern, r.MaxLen, r.Near)
	}
}
