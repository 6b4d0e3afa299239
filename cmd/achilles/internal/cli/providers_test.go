package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/rules"
)

// TestProvidersCommand lists the catalogue through the built binary, as text
// and as JSON, and checks it against the loaded rules: every provider with
// its rules, docs link and verifiers; a user's rules file with its own
// provider is listed the same way.
func TestProvidersCommand(t *testing.T) {
	dir := t.TempDir()
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, dir, nil, "providers", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got []providerEntry
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(got) != len(cfg.Providers) || len(got) == 0 {
		t.Fatalf("%d providers listed, %d in the catalogue", len(got), len(cfg.Providers))
	}
	for _, e := range got {
		p := cfg.Provider(e.ID)
		if p == nil || e.Docs != p.Docs || !strings.HasPrefix(e.Docs, "https://") || len(e.Rules) != len(p.Rules) || len(e.Rules) == 0 {
			t.Errorf("entry %+v does not match the catalogue's %+v", e, p)
		}
	}

	text := runBinary(t, dir, nil, "providers")
	if text.code != 0 || !strings.HasPrefix(text.stdout, "PROVIDER") || strings.Count(text.stdout, "\n") != len(cfg.Providers)+1 {
		t.Errorf("text listing: exit %d, %d lines for %d providers", text.code, strings.Count(text.stdout, "\n"), len(cfg.Providers))
	}

	own := filepath.Join(dir, "own.toml")
	if err := os.WriteFile(own, []byte(`
[[providers]]
id = "acme"
name = "Acme"
category = "internal"
docs = "https://wiki.example.com/acme-keys"

[[rules]]
id = "acme-key"
provider = "acme"
regex = '''acme_[a-z0-9]{20}'''
keywords = ["acme_"]
verifier = "acme-http"

[[verify.http]]
id = "acme-http"
url = "https://api.acme.example/v1/me"
headers = { Authorization = "Bearer {{secret}}" }
live = { status = [200] }
dead = { status = [401] }
`), 0o600); err != nil {
		t.Fatal(err)
	}
	mine := runBinary(t, dir, nil, "providers", "-c", own, "--category", "internal", "-f", "json")
	var entries []providerEntry
	if err := json.Unmarshal([]byte(mine.stdout), &entries); err != nil || len(entries) != 1 ||
		entries[0].ID != "acme" || entries[0].Verifiers[0] != "acme-http" || entries[0].Rules[0] != "acme-key" {
		t.Errorf("user catalogue: %v %+v (stderr %s)", err, entries, mine.stderr)
	}
	if bad := runBinary(t, dir, nil, "providers", "-f", "yaml"); bad.code != ExitUsage {
		t.Errorf("--format yaml: exit %d, want %d", bad.code, ExitUsage)
	}
}
