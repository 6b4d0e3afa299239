package scanner

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The bad-input matrix: each case asserts a clear warning, that every other
// finding is still reported, and no panic. Exit statuses are asserted in
// the CLI tests.

// looseObjectPath returns the file of a loose object.
func (r *repo) looseObjectPath(hash string) string {
	return filepath.Join(r.dir, ".git", "objects", hash[:2], hash[2:])
}

func (r *repo) blobHash(rev, path string) string {
	return r.git("rev-parse", rev+":"+path)
}

func twoSecretRepo(t *testing.T) *repo {
	r := newRepo(t)
	r.write("good.txt", "k="+tokA+"\n")
	r.write("victim.txt", "k="+tokB+"\n")
	r.commit("two secrets")
	return r
}

func TestBadInputMissingObject(t *testing.T) {
	for _, backend := range []string{"git", "go-git"} {
		t.Run(backend, func(t *testing.T) {
			r := twoSecretRepo(t)
			if err := os.Remove(r.looseObjectPath(r.blobHash("HEAD", "victim.txt"))); err != nil {
				t.Fatal(err)
			}
			var w warnings
			res, err := ScanGit(t.Context(), testOptions(t, &w), GitOptions{Backend: backend}, r.dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != 1 || res.Findings[0].Secret != tokA {
				t.Fatalf("got %+v", summarize(res.Findings))
			}
			if !strings.Contains(w.joined(), "missing") && !strings.Contains(w.joined(), "not found") {
				t.Errorf("no warning about the missing object: %q", w.joined())
			}
		})
	}
}

func TestBadInputCorruptObject(t *testing.T) {
	for _, backend := range []string{"git", "go-git"} {
		t.Run(backend, func(t *testing.T) {
			r := twoSecretRepo(t)
			p := r.looseObjectPath(r.blobHash("HEAD", "victim.txt"))
			os.Chmod(p, 0o644)
			if err := os.WriteFile(p, []byte("this is not zlib data at all"), 0o644); err != nil {
				t.Fatal(err)
			}
			var w warnings
			res, err := ScanGit(t.Context(), testOptions(t, &w), GitOptions{Backend: backend}, r.dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != 1 || res.Findings[0].Secret != tokA {
				t.Fatalf("got %+v", summarize(res.Findings))
			}
			if w.joined() == "" {
				t.Error("no warning about the corrupt object")
			}
			if strings.Contains(w.joined(), tokB) {
				t.Error("a warning shows the secret")
			}
		})
	}
}

func TestBadInputTruncatedPack(t *testing.T) {
	r := newRepo(t)
	for i := 0; i < 20; i++ {
		r.write(fmt.Sprintf("f%d.txt", i), fmt.Sprintf("%d %s\n", i, strings.Repeat("filler ", 200)))
		r.commit(fmt.Sprintf("c%d", i))
	}
	r.git("gc", "-q")
	// A secret committed after packing stays a loose object: it must still
	// be found once the pack is damaged.
	r.write("late.txt", tokC+"\n")
	r.commit("late")
	packs, _ := filepath.Glob(filepath.Join(r.dir, ".git", "objects", "pack", "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("packs: %v", packs)
	}
	st, _ := os.Stat(packs[0])
	os.Chmod(packs[0], 0o644)
	if err := os.Truncate(packs[0], st.Size()/2); err != nil {
		t.Fatal(err)
	}
	for _, backend := range []string{"git", "go-git"} {
		var w warnings
		res, err := ScanGit(t.Context(), testOptions(t, &w), GitOptions{Backend: backend}, r.dir)
		if err != nil {
			// A pack so damaged that no ref resolves is an error, never a panic.
			t.Logf("%s: %v", backend, err)
			continue
		}
		if w.joined() == "" {
			t.Errorf("%s: no warning for a truncated pack", backend)
		}
		found := false
		for _, f := range res.Findings {
			found = found || f.Secret == tokC
		}
		if !found {
			t.Errorf("%s: the loose secret after the damage was not found: %+v", backend, summarize(res.Findings))
		}
	}
}

func TestBadInputShallowClone(t *testing.T) {
	src := newRepo(t)
	src.write("old.txt", tokA+"\n")
	src.commit("old")
	src.write("new.txt", tokB+"\n")
	src.commit("new")
	dst := t.TempDir()
	out, err := exec.Command("git", "clone", "-q", "--depth", "1", "file://"+src.dir, dst).CombinedOutput()
	if err != nil {
		t.Fatalf("clone: %v %s", err, out)
	}
	for _, backend := range []string{"git", "go-git"} {
		var w warnings
		res, err := ScanGit(t.Context(), testOptions(t, &w), GitOptions{Backend: backend}, dst)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(w.joined(), "shallow") {
			t.Errorf("%s: no shallow warning: %q", backend, w.joined())
		}
		if len(res.Findings) != 2 {
			t.Errorf("%s: %+v", backend, summarize(res.Findings))
		}
	}
}

func TestBadInputSubmoduleAndLFS(t *testing.T) {
	r := newRepo(t)
	r.write(".gitmodules", "[submodule \"lib\"]\n\tpath = lib\n\turl = https://example.com/lib.git\n")
	r.write("model.bin", "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
	r.write("k.txt", tokA+"\n")
	r.git("add", "-A")
	r.git("update-index", "--add", "--cacheinfo", "160000,1111111111111111111111111111111111111111,lib")
	r.tick++
	r.git("commit", "-qm", "submodule and lfs")
	for _, backend := range []string{"git", "go-git"} {
		var w warnings
		res, err := ScanGit(t.Context(), testOptions(t, &w), GitOptions{Backend: backend}, r.dir)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(w.joined(), "submodules") || !strings.Contains(w.joined(), "LFS") {
			t.Errorf("%s: warnings %q", backend, w.joined())
		}
		if len(res.Findings) != 1 {
			t.Errorf("%s: %+v", backend, summarize(res.Findings))
		}
	}
}

func TestBadInputManyRefs(t *testing.T) {
	r := newRepo(t)
	r.write("k.txt", tokA+"\n")
	head := r.commit("base")
	var b bytes.Buffer
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&b, "create refs/heads/b%05d %s\n", i, head)
	}
	cmd := exec.Command("git", "update-ref", "--stdin")
	cmd.Dir = r.dir
	cmd.Stdin = &b
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	var w warnings
	res, err := ScanGit(t.Context(), testOptions(t, &w), GitOptions{}, r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Git.Commit != head {
		t.Fatalf("%+v", summarize(res.Findings))
	}
}

func TestBadInputOddPathsInHistory(t *testing.T) {
	r := newRepo(t)
	long := strings.Repeat("d", 200) + "/" + strings.Repeat("e", 200) + "/" + strings.Repeat("f", 200) + ".txt"
	r.write(long, tokA+"\n")
	r.write("caf\xe9-\xff.txt", tokB+"\n")
	r.write("nul.txt", "text\x00with a NUL "+tokC+"\n")
	r.commit("odd paths")
	for _, backend := range []string{"git", "go-git"} {
		var w warnings
		res, err := ScanGit(t.Context(), testOptions(t, &w), GitOptions{Backend: backend}, r.dir)
		if err != nil {
			t.Fatal(err)
		}
		paths := map[string]bool{}
		for _, f := range res.Findings {
			paths[f.Path] = true
		}
		if len(res.Findings) != 2 || !paths[long] || !paths["caf\xe9-\xff.txt"] {
			t.Errorf("%s: %+v", backend, summarize(res.Findings))
		}
		if res.Stats.Binary != 1 {
			t.Errorf("%s: a file with a NUL byte should be skipped as binary", backend)
		}
	}
}

func TestBadInputDirMatrix(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ok.txt"), tokA+"\n", 0o644)
	// Symlink loop: never followed.
	os.Symlink("loop", filepath.Join(dir, "loop"))
	os.Symlink(dir, filepath.Join(dir, "up"))
	// Unreadable folder and file (root reads them anyway).
	writeFile(t, filepath.Join(dir, "closed", "x.txt"), tokB, 0o644)
	os.Chmod(filepath.Join(dir, "closed"), 0o000)
	defer os.Chmod(filepath.Join(dir, "closed"), 0o755)
	// Non-UTF-8 and very long names.
	writeFile(t, filepath.Join(dir, "\xff\xfe.txt"), tokC+"\n", 0o644)
	deep := filepath.Join(dir, strings.Repeat("a", 200), strings.Repeat("b", 200), strings.Repeat("c", 200))
	writeFile(t, filepath.Join(deep, "deep.txt"), tokC+"\n", 0o644)
	var w warnings
	res, err := ScanPaths(t.Context(), testOptions(t, &w), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	want := 3
	if os.Geteuid() == 0 {
		want = 4
	} else if !strings.Contains(w.joined(), "closed") {
		t.Errorf("no warning for the unreadable folder: %q", w.joined())
	}
	if len(res.Findings) != want {
		t.Fatalf("got %d findings, want %d: %+v", len(res.Findings), want, summarize(res.Findings))
	}
}

func TestBadInputHugeSingleLine(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100 MB")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "minified.js")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("var a=1;"), 1<<17) // 1 MiB, no newline
	for i := 0; i < 100; i++ {
		f.Write(chunk)
	}
	f.WriteString(" " + tokA + " ")
	f.Close()
	var w warnings
	res, err := ScanPaths(t.Context(), testOptions(t, &w), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Line != 1 || res.Findings[0].Column != 100<<20+2 {
		t.Fatalf("%+v", summarize(res.Findings))
	}
}

func TestBadInputManyTinyFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100,000 files")
	}
	dir := t.TempDir()
	for i := 0; i < 100000; i++ {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", i/1000))
		if i%1000 == 0 {
			os.MkdirAll(sub, 0o755)
		}
		content := "x\n"
		if i == 77777 {
			content = tokA + "\n"
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%d", i)), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var w warnings
	res, err := ScanPaths(t.Context(), testOptions(t, &w), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Objects != 100000 || len(res.Findings) != 1 {
		t.Fatalf("objects %d findings %d", res.Stats.Objects, len(res.Findings))
	}
}
