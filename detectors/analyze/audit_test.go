package analyze

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestAuditLogAppendsPrivateLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "revocations.jsonl")
	for i, st := range []RevokeStatus{Revoked, AlreadyInvalid} {
		a, err := OpenAudit(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Record(AuditEntry{Time: time.Date(2030, 1, 1, 0, 0, i, 0, time.FixedZone("x", 3600)), Fingerprint: "fp", Rule: "github-pat-classic", Provider: "github", Status: st, Answer: "202"}); err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	f, _ := os.Open(path)
	defer f.Close()
	var got []AuditEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e AuditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		got = append(got, e)
	}
	if len(got) != 2 || got[0].Status != Revoked || got[1].Status != AlreadyInvalid || got[1].Time.Location() != time.UTC || got[0].Provider != "github" {
		t.Fatalf("%+v", got)
	}
}

func TestAuditLogRefusesSymlinkAndTightensMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	os.WriteFile(target, []byte("keep\n"), 0o644)
	link := filepath.Join(dir, "audit.jsonl")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if a, err := OpenAudit(link); err == nil {
		a.Close()
		t.Fatal("a symbolic link was followed")
	}
	if b, _ := os.ReadFile(target); string(b) != "keep\n" {
		t.Fatalf("target changed: %q", b)
	}
	wide := filepath.Join(dir, "wide.jsonl")
	os.WriteFile(wide, nil, 0o644)
	a, err := OpenAudit(wide)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if st, _ := os.Stat(wide); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
}
