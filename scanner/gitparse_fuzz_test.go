package scanner

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// Fuzz targets for the parsers of git's output and of the pre-push hook's
// input: whatever the bytes, they return an error or a result that holds
// only full object names, and never panic or hang.

const (
	hashA = "1111111111111111111111111111111111111111"
	hashB = "2222222222222222222222222222222222222222"
	hashC = "3333333333333333333333333333333333333333"
	zero  = "0000000000000000000000000000000000000000"
)

func FuzzPrePush(f *testing.F) {
	f.Add([]byte("refs/heads/main " + hashA + " refs/heads/main " + hashB + "\n"))
	f.Add([]byte("refs/heads/new " + hashA + " refs/heads/new " + zero + "\n(delete) " + zero + " refs/heads/old " + hashB + "\n"))
	f.Add([]byte("refs/tags/v1 " + strings.Repeat("ab", 32) + " refs/tags/v1 " + strings.Repeat("0", 64) + "\r\n\n"))
	f.Add([]byte("HEAD " + hashA + " refs/heads/main " + strings.Repeat("0", 64) + "\n"))
	f.Add([]byte("main HEAD\n"))
	f.Add([]byte("refs/heads/x --all refs/heads/x " + hashB + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		updates, err := parsePrePush(bytes.NewReader(data))
		if err != nil {
			if !strings.Contains(err.Error(), "pre-push input") {
				t.Fatalf("unclear error %q", err)
			}
			return
		}
		var lines strings.Builder
		for _, u := range updates {
			if !isHash(u.localSHA) || !isHash(u.remoteSHA) || len(u.localSHA) != len(u.remoteSHA) || u.localRef == "" || u.remoteRef == "" {
				t.Fatalf("took %+v", u)
			}
			fmt.Fprintf(&lines, "%s %s %s %s\n", u.localRef, u.localSHA, u.remoteRef, u.remoteSHA)
		}
		back, err := parsePrePush(strings.NewReader(lines.String()))
		if err != nil || fmt.Sprint(back) != fmt.Sprint(updates) {
			t.Fatalf("%+v read back as %+v, %v", updates, back, err)
		}
		have := func(sha string) bool { return sha[0] < '8' }
		revs, err := prePushRevisions(bytes.NewReader(data), have)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range revs {
			if r == "--not" && i == len(revs)-2 || r == "--remotes" && i == len(revs)-1 {
				continue
			}
			ok := isHash(r)
			if from, to, isRange := strings.Cut(r, ".."); isRange {
				ok = isHash(from) && isHash(to)
			}
			if !ok {
				t.Fatalf("revision %q reaches git log", r)
			}
		}
	})
}

func FuzzParseStagedDiff(f *testing.F) {
	f.Add([]byte("diff --git a/x y b/x y\n" +
		"index " + hashA + ".." + hashB + " 100644\n" +
		"--- a/x y\n+++ b/x y\n" +
		"@@ -3 +3,2 @@ func\n-old\n+diff --git a/z b/z\n+@@ -1 +1 @@\n" +
		"@@ -10,0 +12 @@\n+new\n\\ No newline at end of file\n"))
	f.Add([]byte("diff --git \"a/tab\\there\" \"b/tab\\there\"\n" +
		"new file mode 100644\n" +
		"index " + zero + ".." + hashC + "\n" +
		"Binary files /dev/null and \"b/tab\\there\" differ\n" +
		"diff --git a/sub b/sub\n" +
		"index " + hashA + ".." + hashB + " 160000\n" +
		"--- a/sub\n+++ b/sub\n@@ -1 +1 @@\n-Subproject commit " + hashA + "\n+Subproject commit " + hashB + "\n"))
	f.Add([]byte("diff --git a/m b/m\nold mode 100644\nnew mode 100755\n"))
	f.Add([]byte("diff --git a/e b/e\nnew file mode 100644\nindex " + zero + ".." + hashB + "\n--- /dev/null\n+++ b/e\n@@ -0,0 +1,3 @@\n+a\n+b\n"))
	f.Add([]byte("diff --git a/t b/t\nindex " + hashA + ".." + hashB + " 100644\n@@ -1,2 +1,-1 @@\n-a\n-b\n-c\n"))
	f.Add([]byte("diff --git a/h b/h\nindex " + hashA + "..HEAD 100644\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		files, err := parseStagedDiff(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, sf := range files {
			if sf.path == "" || !isHash(sf.hash) || isZeroHash(sf.hash) {
				t.Fatalf("took %+v", sf)
			}
			for _, r := range sf.added {
				if r.first < 1 || r.last < r.first {
					t.Fatalf("%s: added lines %+v", sf.path, r)
				}
			}
		}
	})
}

// batchAnswer is what `git cat-file --batch` writes for one object.
func batchAnswer(name, typ, content string) string {
	return fmt.Sprintf("%s %s %d\n%s\n", name, typ, len(content), content)
}

func FuzzReadBatch(f *testing.F) {
	f.Add([]byte(batchAnswer(hashA, "blob", "password = hunter2\n")+hashB+" missing\n"+batchAnswer(hashC, "blob", "")), uint8(3))
	f.Add([]byte(batchAnswer(hashA, "tree", "x")), uint8(1))
	f.Add([]byte(hashA+" blob -1\n"), uint8(1))
	f.Add([]byte(hashA+" blob 99999999999\nshort\n"), uint8(1))
	f.Add([]byte(hashA+" blob 3\nabcX"), uint8(1))
	f.Add([]byte(batchAnswer(hashB, "blob", "not asked")), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		asked := []string{hashA, hashB, hashC, hashA}[:n%5]
		// Answers come in the order asked; other types than blobs are not
		// handed on, so the blobs and missing names are a subsequence.
		next, got, total := 0, 0, 0
		answer := func(hash string) {
			for next < len(asked) && asked[next] != hash {
				next++
			}
			if next == len(asked) {
				t.Fatalf("answer %s out of order, asked %q", hash, asked)
			}
			next++
			got++
		}
		err := readBatch(bufio.NewReader(bytes.NewReader(data)), asked, func(hash string, b []byte) {
			answer(hash)
			total += len(b)
		}, answer)
		if got > len(asked) || total > len(data) {
			t.Fatalf("%d answers with %d bytes from %d asked and %d bytes", got, total, len(asked), len(data))
		}
		if err == nil && strings.Count(string(data), "\n") < len(asked) {
			t.Fatalf("read %d answers from %q", len(asked), data)
		}
	})
}

func FuzzReadReachable(f *testing.F) {
	f.Add([]byte("commit " + hashA + " 230 \ntree " + hashB + " 66 \nblob " + hashC + " 12 src/app.env\nblob " + hashB + " 3 vendor/x\n"))
	f.Add([]byte("?" + hashA + "\n" + hashB + " missing\nblob " + hashC + " 5 a path with spaces\n"))
	f.Add([]byte("blob zz 1 p\nblob " + hashA + "\n?\n missing\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g := newGitCLI("repo", Options{}, &counters{})
		rs, err := g.readReachable(bytes.NewReader(data), func(p string) bool { return strings.HasPrefix(p, "vendor/") })
		if err != nil {
			t.Fatal(err) // a bytes.Reader never fails
		}
		for h, idx := range rs.blobs {
			if idx < 0 || int(idx) >= len(rs.paths) || strings.HasPrefix(rs.paths[idx], "vendor/") {
				t.Fatalf("blob %x at %d of %q", h, idx, rs.paths)
			}
		}
	})
}

func FuzzReadObjects(f *testing.F) {
	f.Add([]byte(batchAnswer(hashB, "commit", "tree x")+batchAnswer(hashA, "blob", "token=abc")+batchAnswer(hashC, "blob", strings.Repeat("x", 40))), uint8(16))
	f.Add([]byte(batchAnswer(hashA, "blob", "twice")+batchAnswer(hashA, "blob", "twice")), uint8(0))
	f.Add([]byte(hashA+" blob -5\n"), uint8(0))
	f.Add([]byte(hashC+" blob 9223372036854775807\nx\n"), uint8(3))
	f.Add([]byte(hashA+" blob 4\nabc"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, max uint8) {
		g := newGitCLI("repo", Options{MaxFileSize: int64(max%32) + 1}, &counters{})
		ha, _ := parseHash(hashA)
		hc, _ := parseHash(hashC)
		rs := &reachable{blobs: map[[20]byte]int32{ha: 0, hc: 1}, pathTable: pathTable{paths: []string{"a.env", "c.txt"}}}
		seen := map[string]bool{}
		deliver := func(b blob, n int) error {
			if seen[b.hash] || (b.hash != hashA && b.hash != hashC) || int64(n) > b.size {
				t.Fatalf("blob %s (%d of %d bytes) delivered again or not asked", b.hash, n, b.size)
			}
			seen[b.hash] = true
			return nil
		}
		left, err := g.readObjects(bufio.NewReader(bytes.NewReader(data)), rs, func(b blob) error {
			if int64(len(b.data)) != b.size || b.size > g.opts.MaxFileSize {
				t.Fatalf("blob %s: %d bytes, size %d", b.hash, len(b.data), b.size)
			}
			return deliver(b, len(b.data))
		}, func(b blob, r io.Reader) error {
			d, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			return deliver(b, len(d))
		})
		if left < 0 || left+len(seen) != 2 {
			t.Fatalf("%d left, %d delivered, %v", left, len(seen), err)
		}
	})
}

func FuzzParseRawLog(f *testing.F) {
	header := "\x01" + hashA + "\x00Ann Author\x00ann@example.com\x001700000000\x00add config\n"
	f.Add([]byte(header + "\n:000000 100644 " + zero + " " + hashB + " A\tconfig/app.env\n:100644 100644 " + hashC + " " + hashB + " M\t\"tab\\there\"\n"))
	f.Add([]byte("\x01" + hashB + "\x00M\x00m@x\x00bad\x00merge\n\n::100644 100644 100644 " + hashA + " " + hashC + " " + hashB + " MM\tmerged.txt\n" +
		":160000 160000 " + hashA + " " + hashB + " M\tsub\n:100644 000000 " + hashA + " " + zero + " D\tgone\n"))
	f.Add([]byte("\x01not-a-hash\x00a\x00b\x00c\x00d\n:000000 100644 " + zero + " " + hashB + " A\tx\n"))
	f.Add([]byte(":100644 100644 abc M\tp\n" + header + ":::\tp\n:100644\tp\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseRawLog(bytes.NewReader(data), func(hash string, in intro) {
			if !isHash(hash) || isZeroHash(hash) || in.commit == nil || !isHash(in.commit.hash) {
				t.Fatalf("took blob %q of %+v", hash, in.commit)
			}
			for _, p := range in.parents {
				if !isHash(p) || isZeroHash(p) {
					t.Fatalf("took parent blob %q", p)
				}
			}
		})
		if err != nil {
			t.Fatal(err) // a bytes.Reader never fails
		}
		if n > int64(bytes.Count(data, []byte{1})) {
			t.Fatalf("%d commits from %d headers", n, bytes.Count(data, []byte{1}))
		}
	})
}
