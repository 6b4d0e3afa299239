package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/rules"
)

// TestUnknownChecksumOrVerifierIsALoadError: a user's rules file whose
// rule names a checksum or a verifier that does not exist fails every
// command that loads it, with exit 2 and a message naming the file, the
// rule and the name; a declared [[verify.http]] verifier is known.
func TestUnknownChecksumOrVerifierIsALoadError(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "k.env"), []byte("T=tok_Q2x9LmP4vR7sT1uW3yZ5aB8c\n"), 0o600)
	rule := "[[rules]]\nid = \"mine\"\nregex = '''tok_[A-Za-z0-9]{24}'''\nkeywords = [\"tok_\"]\n"
	for name, extra := range map[string]string{"checksum": "checksum = \"githb\"\n", "verifier": "verifier = \"gthub\"\n"} {
		path := filepath.Join(dir, name+".toml")
		os.WriteFile(path, []byte(rule+extra), 0o600)
		bad := strings.Trim(strings.SplitN(extra, "=", 2)[1], " \"\n")
		for _, args := range [][]string{{"dir", dir, "-c", path}, {"rules", "check", "-c", path}, {"providers", "-c", path}} {
			res := runBinary(t, dir, nil, args...)
			if res.code != ExitUsage || !strings.Contains(res.stderr, path) || !strings.Contains(res.stderr, `"mine"`) || !strings.Contains(res.stderr, bad) {
				t.Errorf("%s %v: exit %d, want %d naming file, rule and %q:\n%s", name, args[0], res.code, ExitUsage, bad, res.stderr)
			}
		}
	}
	declared := filepath.Join(dir, "declared.toml")
	os.WriteFile(declared, []byte(rule+"verifier = \"acme\"\n\n[[verify.http]]\nid = \"acme\"\nurl = \"https://api.acme.example/v1/me\"\nheaders = { Authorization = \"Bearer {{secret}}\" }\nlive = { status = [200] }\ndead = { status = [401] }\n"), 0o600)
	if res := runBinary(t, dir, nil, "dir", dir, "-c", declared, "--no-progress"); res.code != ExitFindings {
		t.Errorf("a declared verifier: exit %d, want %d:\n%s", res.code, ExitFindings, res.stderr)
	}
}

// TestBuiltinRuleNamesResolve: every checksum and verifier a built-in rule
// names exists.
func TestBuiltinRuleNamesResolve(t *testing.T) {
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	ids, err := knownVerifiers(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range cfg.Rules {
		if _, ok := detectors.Checksums[r.Checksum]; r.Checksum != "" && !ok {
			t.Errorf("%s: rule %s: checksum %q is not known", r.Source, r.ID, r.Checksum)
		}
		if r.Verifier != "" && !ids[r.Verifier] {
			t.Errorf("%s: rule %s: verifier %q is not known", r.Source, r.ID, r.Verifier)
		}
	}
}
