package scanner

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stagedSummary is "path:line rule secret" per finding, in report order.
func stagedSummary(t *testing.T, dir string) ([]string, *Result) {
	t.Helper()
	var w warnings
	res, err := ScanStaged(context.Background(), testOptions(t, &w), dir)
	if err != nil {
		t.Fatal(err)
	}
	if w.joined() != "" {
		t.Errorf("warnings: %s", w.joined())
	}
	var out []string
	for _, f := range res.Findings {
		out = append(out, fmt.Sprintf("%s:%d %s %s", f.Path, f.Line, f.RuleID, f.Secret))
	}
	return out, res
}

func TestStagedFirstCommit(t *testing.T) {
	// No HEAD yet: everything in the index is new.
	r := newRepo(t)
	r.write("a.env", "x\nT="+tokA+"\n")
	r.git("add", "a.env")
	got, _ := stagedSummary(t, r.dir)
	if want := []string{"a.env:2 test-token " + tokA}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestStagedChanges(t *testing.T) {
	r := newRepo(t)
	const key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAuZ3k9q0Fv7yZ8VQx1m2N3b4V5c6X7z8A9s0D1f2G3h4J5k6L\n"
	r.write("old secret.env", "T="+tokA+"\nplain\n")
	r.write("moved.env", "T="+tokB+"\n")
	r.write("gone.env", "T="+tokC+"\n")
	r.write("key.pem", key)
	r.write("bin.dat", "\x00\x01T="+tokB+"\n")
	r.write("app/.env.production", "X=1\n")
	r.commit("base")

	// An edit next to a committed secret: the old secret is not staged.
	r.write("old secret.env", "T="+tokA+"\nplain\n++ not a header\npassword = \"Hx7!pQ2@zL9#\"\n")
	// A pure rename: the content is new at the new path.
	r.git("mv", "moved.env", "renamed.env")
	// A deletion stages nothing to scan.
	r.git("rm", "-q", "gone.env")
	// The key's last line completes a match that starts on old lines.
	r.write("key.pem", key+"-----END RSA PRIVATE KEY-----\n")
	// A binary file changed: skipped, as in every other source.
	r.write("bin.dat", "\x00\x02T="+tokC+"\n")
	// A path-only rule flags a file when it is added, not when it is edited.
	r.write("app/.env.production", "X=2\n")
	r.write("web/.env.production", "Y=1\n")
	// A new archive: its entries are scanned and reported in full.
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	e, _ := zw.Create("conf/app.env")
	e.Write([]byte("x\nT=" + tokC + "\n"))
	zw.Close()
	r.write("bundle.zip", zbuf.String())
	r.git("add", "-A")

	got, res := stagedSummary(t, r.dir)
	want := []string{
		"bundle.zip!conf/app.env:2 test-token " + tokC,
		"key.pem:1 test-private-key " + strings.TrimSpace(key+"-----END RSA PRIVATE KEY-----"),
		"old secret.env:4 test-password Hx7!pQ2@zL9#",
		"renamed.env:1 test-token " + tokB,
		"web/.env.production:0 test-env-file ",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	if res.Stats.Binary != 1 {
		t.Errorf("binary files: %d, want 1", res.Stats.Binary)
	}
}

// TestStagedPartial stages one hunk of a file the way `git add -p` does and
// checks that only that hunk's secret is reported, at its line in the
// staged version.
func TestStagedPartial(t *testing.T) {
	r := newRepo(t)
	r.write("app.conf", "a=1\nb=2\nc=3\n")
	r.commit("base")
	r.write("app.conf", "a=1\ntoken="+tokA+"\nb=2\nc=3\nother="+tokB+"\n")
	patch := "--- a/app.conf\n+++ b/app.conf\n@@ -1,2 +1,3 @@\n a=1\n+token=" + tokA + "\n b=2\n"
	if err := os.WriteFile(filepath.Join(r.dir, "p.patch"), []byte(patch), 0o644); err != nil {
		t.Fatal(err)
	}
	r.git("apply", "--cached", "p.patch")
	got, _ := stagedSummary(t, r.dir)
	if want := []string{"app.conf:2 test-token " + tokA}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	paths, err := StagedPaths(context.Background(), r.dir)
	if err != nil || fmt.Sprint(paths) != "[app.conf]" {
		t.Fatalf("staged paths %q %v", paths, err)
	}

	// One list read ahead serves the scan and the paths; a change staged
	// after it was read is not in it.
	l := ListStaged(context.Background(), r.dir)
	if err := l.Wait(); err != nil {
		t.Fatal(err)
	}
	r.write("late.conf", "token="+tokB+"\n")
	r.git("add", "late.conf")
	res, err := ScanStagedList(context.Background(), testOptions(t, &warnings{}), r.dir, l)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Path != "app.conf" || res.Findings[0].Secret != tokA {
		t.Fatalf("scan of the list read ahead: %+v", res.Findings)
	}
	if paths, err := l.Paths(); err != nil || fmt.Sprint(paths) != "[app.conf]" {
		t.Fatalf("paths of the list read ahead %q %v", paths, err)
	}
}

// Outside a repository the list's error is the scan's, as before.
func TestListStagedOutsideRepository(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
	l := ListStaged(context.Background(), dir)
	if _, err := ScanStagedList(context.Background(), testOptions(t, &warnings{}), dir, l); !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), "not a git repository") {
		t.Fatalf("got %v, want a target error naming no repository", err)
	}
	if _, err := l.Paths(); !errors.Is(err, ErrTarget) {
		t.Fatalf("paths: %v", err)
	}
}

func TestParseStagedDiff(t *testing.T) {
	const diff = "diff --git a/x y b/x y\n" +
		"index 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644\n" +
		"--- a/x y\n+++ b/x y\n" +
		"@@ -3 +3,2 @@ func\n-old\n+diff --git a/z b/z\n+@@ -1 +1 @@\n" +
		"@@ -10,0 +12 @@\n+new\n\\ No newline at end of file\n" +
		"diff --git \"a/tab\\there\" \"b/tab\\there\"\n" +
		"new file mode 100644\n" +
		"index 0000000000000000000000000000000000000000..3333333333333333333333333333333333333333\n" +
		"Binary files /dev/null and \"b/tab\\there\" differ\n" +
		"diff --git a/sub b/sub\n" +
		"index 4444444444444444444444444444444444444444..5555555555555555555555555555555555555555 160000\n" +
		"--- a/sub\n+++ b/sub\n@@ -1 +1 @@\n-Subproject commit 4444444444444444444444444444444444444444\n+Subproject commit 5555555555555555555555555555555555555555\n"
	files, err := parseStagedDiff(strings.NewReader(diff))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%+v", files)
	want := "[{path:x y hash:2222222222222222222222222222222222222222 isNew:false binary:false added:[{first:3 last:4} {first:12 last:12}]} " +
		"{path:tab\there hash:3333333333333333333333333333333333333333 isNew:true binary:true added:[]}]"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestParseStagedDiffRejects(t *testing.T) {
	const head = "diff --git a/f b/f\nindex 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644\n"
	for name, diff := range map[string]string{
		"ends inside a hunk":   head + "@@ -1 +1,3 @@\n-a\n+b\n",
		"more removed lines":   head + "@@ -1 +1 @@\n-a\n-b\n+c\n",
		"negative count":       head + "@@ -1 +1,-2 @@\n-a\n",
		"count past 31 bits":   head + "@@ -1 +9223372036854775807,2 @@\n-a\n+b\n+c\n",
		"added line 0":         head + "@@ -1 +0,1 @@\n-a\n+b\n",
		"new blob not a name":  "diff --git a/f b/f\nindex 1111111111111111111111111111111111111111..HEAD 100644\n",
		"empty path":           "diff --git a/ b/\n",
		"short index new blob": "diff --git a/f b/f\nindex 1111111..2222222 100644\n",
	} {
		if files, err := parseStagedDiff(strings.NewReader(diff)); err == nil {
			t.Errorf("%s: read %+v", name, files)
		}
	}
}
