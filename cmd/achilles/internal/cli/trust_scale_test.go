package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/detectors"
)

// keyIDFile writes n distinct AWS access key ids, one a line, with an AWS
// secret access key line every quarter and the given extra lines at the
// end. It returns how many key ids the aws-access-key-id rule reports (its
// entropy threshold drops a few random ones) and the secret keys.
func keyIDFile(t *testing.T, path string, n int, extra ...string) (int, []string) {
	t.Helper()
	const base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	const keyChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"
	rng := rand.New(rand.NewSource(int64(n)))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	seen := make(map[string]bool, n)
	reported := 0
	var keys []string
	id := make([]byte, 16)
	for len(seen) < n {
		for i := range id {
			id[i] = base32[rng.Intn(len(base32))]
		}
		s := "AKIA" + string(id)
		if seen[s] {
			continue
		}
		seen[s] = true
		if detectors.Entropy([]byte(s)) > 3.0 {
			reported++
		}
		fmt.Fprintf(w, "aws_access_key_id = %s\n", s)
		if len(seen)%(n/4) == n/8 {
			key := make([]byte, 40)
			for i := range key {
				key[i] = keyChars[rng.Intn(len(keyChars))]
			}
			keys = append(keys, string(key))
			fmt.Fprintf(w, "aws_secret_access_key = %s\n", key)
		}
	}
	for _, l := range extra {
		fmt.Fprintln(w, l)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return reported, keys
}

// TestManyMatchesInOneFile scans a file of 100,000 distinct AWS key ids and
// four secret keys through the built binary. Companion matching (each
// finding's nearest match of every other rule) compared every match with
// every other: 40,000 key ids took 9.6 s and 160,000 more than two minutes.
// It now finishes in seconds; the 1M case is .ci/bench-companions.
func TestManyMatchesInOneFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := achillesBinary(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.txt")
	ids, keys := keyIDFile(t, path, 100_000)
	out := filepath.Join(dir, "report.jsonl")
	cmd := exec.Command(bin, "dir", path, "--no-progress", "-f", "jsonl", "-o", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("achilles dir: %v (want exit status 1)\n%s", err, stderr.String())
	}
	report, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	byRule := map[string]int{}
	secrets := map[string]bool{}
	for _, line := range bytes.Split(bytes.TrimSpace(report), []byte("\n")) {
		var f struct {
			RuleID string `json:"rule_id"`
			Secret string `json:"secret"`
			Line   int    `json:"line"`
		}
		if err := json.Unmarshal(line, &f); err != nil {
			t.Fatalf("report line %.80q: %v", line, err)
		}
		byRule[f.RuleID]++
		if f.RuleID == "aws-secret-access-key" {
			secrets[f.Secret] = true
		}
	}
	if byRule["aws-access-key-id"] != ids {
		t.Errorf("%d aws-access-key-id findings, want %d", byRule["aws-access-key-id"], ids)
	}
	for _, k := range keys {
		if !secrets[k] {
			t.Errorf("secret key %d of %d not reported", len(secrets), len(keys))
		}
	}
	if len(byRule) != 2 {
		t.Errorf("findings by rule %v, want only the key ids and secret keys", byRule)
	}
	if want := fmt.Sprintf("; %d findings", ids+len(keys)); !strings.Contains(stderr.String(), want) {
		t.Errorf("summary does not say %q:\n%s", want, stderr.String())
	}
}

// TestInlineAllowedInSummary: matches an inline marker suppresses are
// counted and the summary names them, so a repository cannot wave its
// secrets through unseen. Through the binary, for git history and a folder.
func TestInlineAllowedInSummary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := achillesBinary(t)
	const content = "a = AKIAQ3RZTV7WXK2MPLDH # achilles:allow\n" +
		"b = AKIAJ5NBV6CXZQ4TRWME # pragma: allowlist secret\n" +
		"c = AKIAP2LKD7HGFS3QWEZX\n"
	check := func(t *testing.T, out string, code int) {
		t.Helper()
		if code != 1 {
			t.Fatalf("exit %d, want 1 (the unmarked key id)\n%s", code, out)
		}
		if !strings.Contains(out, "; 1 finding; 2 allowed inline") {
			t.Errorf("summary does not count the 2 inline allows:\n%s", out)
		}
	}
	t.Run("git", func(t *testing.T) {
		r := newGitRepo(t)
		r.write("conf.py", content)
		r.run("git", "add", "-A")
		r.run("git", "commit", "-qm", "conf")
		out, code := r.try(bin, "git", ".", "--no-progress", "-f", "jsonl", "-o", filepath.Join(t.TempDir(), "r.jsonl"))
		check(t, out, code)
	})
	t.Run("dir", func(t *testing.T) {
		r := newGitRepo(t)
		r.write("conf.py", content)
		out, code := r.try(bin, "dir", ".", "--no-progress", "-f", "jsonl", "-o", filepath.Join(t.TempDir(), "r.jsonl"))
		check(t, out, code)
	})
}
