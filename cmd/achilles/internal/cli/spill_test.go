package cli

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// spillFixture writes a folder whose findings spill at a small threshold:
// one file of many AWS key ids with a secret key every 40 lines (composite
// rules give them companions), and files of test tokens.
func spillFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rnd := rand.New(rand.NewSource(7))
	const base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	const keychars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"
	pick := func(alpha string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[rnd.Intn(len(alpha))]
		}
		return string(b)
	}
	var b strings.Builder
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "aws_access_key_id = AKIA%s\n", pick(base32, 16))
		if i%40 == 0 {
			fmt.Fprintf(&b, "aws_secret_access_key = %s\n", pick(keychars, 40))
		}
	}
	os.WriteFile(filepath.Join(dir, "keys.txt"), []byte(b.String()), 0o644)
	for f := 0; f < 4; f++ {
		var t strings.Builder
		for k := 0; k < 15; k++ {
			fmt.Fprintf(&t, "key%d = %s\n", k, token((f*15+k)%40))
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("t%d.env", f)), []byte(t.String()), 0o644)
	}
	return dir
}

var durations = regexp.MustCompile(`[0-9.]+(µs|ms|s|m)\b`)

// withSpill runs fn with lists spilling past n findings and a temporary
// folder of its own, and checks no spool is left behind.
func withSpill(t *testing.T, n int, fn func()) {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	old := finding.SetSpillThresholdForTest(n)
	defer finding.SetSpillThresholdForTest(old)
	fn()
	left, _ := os.ReadDir(tmp)
	for _, e := range left {
		if strings.HasPrefix(e.Name(), "achilles-findings-") {
			t.Errorf("spool %s left behind", e.Name())
		}
	}
}

// TestSpillSameOutput: every format, with companions, verification and
// triage, gives the same bytes (and summary) when findings spill to the
// spool as when they stay in memory.
func TestSpillSameOutput(t *testing.T) {
	dir := spillFixture(t)
	formats := []string{"text", "json", "jsonl", "sarif", "csv", "junit", "html"}
	tpl := filepath.Join(t.TempDir(), "t.tmpl")
	os.WriteFile(tpl, []byte("{{range .}}{{.RuleID}} {{.File}}:{{.StartLine}} {{.Fingerprint}}\n{{end}}"), 0o644)
	formats = append(formats, "template="+tpl)
	vcfg := verifyConfig(t)
	// Triage: a baseline of the fixture as it is, then more keys appended
	// (the baseline drops the old ones), and a .gitleaksignore dropping one
	// finding of the big file in every case.
	base := filepath.Join(t.TempDir(), "baseline.json")
	mem := runCLI(t, "", "dir", dir, "-f", "json", "--no-progress", "-o", base)
	if mem.code != ExitFindings {
		t.Fatalf("%d: %s", mem.code, mem.stderr)
	}
	raw, _ := os.ReadFile(base)
	fp := regexp.MustCompile(`"fingerprint": "(aws-access-key-id:[^"]*keys.txt)"`).FindStringSubmatch(string(raw))
	if fp == nil {
		t.Fatalf("no fingerprint of keys.txt")
	}
	os.WriteFile(filepath.Join(dir, ".gitleaksignore"), []byte(fp[1]+"\n"), 0o644)
	k, _ := os.OpenFile(filepath.Join(dir, "keys.txt"), os.O_APPEND|os.O_WRONLY, 0)
	for i := 0; i < 30; i++ {
		fmt.Fprintf(k, "aws_access_key_id = AKIA%s\n", strings.Repeat(string("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[i]), 16))
	}
	k.Close()
	cases := [][]string{{}, {"--verify", "-c", vcfg}, {"--baseline", base}, {"--min-confidence", "high"}}
	for _, extra := range cases {
		fs := formats
		if len(extra) > 0 {
			fs = []string{"json", "text"} // every format is taken once above
		}
		for _, f := range fs {
			args := append([]string{"dir", dir, "--no-progress", "-f", f}, extra...)
			var spilled result
			inMem := runCLI(t, "", args...)
			before := fakeHits.Load()
			withSpill(t, 5, func() { spilled = runCLI(t, "", args...) })
			hits := fakeHits.Load() - before
			name := strings.Join(append([]string{f}, extra...), " ")
			if inMem.code != spilled.code {
				t.Errorf("%s: exit %d in memory, %d spilled", name, inMem.code, spilled.code)
			}
			if inMem.stdout != spilled.stdout {
				t.Errorf("%s: output differs (%d bytes in memory, %d spilled)", name, len(inMem.stdout), len(spilled.stdout))
			}
			if a, b := durations.ReplaceAllString(inMem.stderr, "T"), durations.ReplaceAllString(spilled.stderr, "T"); a != b {
				t.Errorf("%s: summary differs:\n%s\n---\n%s", name, a, b)
			}
			if len(extra) > 0 && extra[0] == "--verify" && (hits == 0 || hits > 40) {
				t.Errorf("%s: %d requests for 40 unique tokens", name, hits)
			}
		}
	}
}
