package scanner

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

type entry struct {
	name    string
	content string
}

func zipBytes(t *testing.T, es ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range es {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tarBytes(t *testing.T, es ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.content))}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.content))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipBytes(data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

func xzBytes(t *testing.T, data []byte) []byte {
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return buf.Bytes()
}

func zstdBytes(t *testing.T, data []byte) []byte {
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(data, nil)
}

// archiveTree writes one archive of every kind; it returns what each
// archive's findings should be: path and line per secret.
func archiveTree(t *testing.T, dir string) map[string]int {
	t.Helper()
	secretFile := "# config\nname = demo\ntoken = " + tokA + "\n"      // tokA on line 3
	other := "line\n" + tokB + "\n"                                    // tokB on line 2
	nested := zipBytes(t, entry{"conf/app.env", "X=1\n\n\nK=" + tokC}) // line 4
	write := func(name string, data []byte) {
		t.Helper()
		full := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int{}
	write("plain.zip", zipBytes(t, entry{"a/secret.cfg", secretFile}, entry{"b.txt", "nothing"}))
	want["plain.zip!a/secret.cfg"] = 3
	write("lib/app.jar", zipBytes(t, entry{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"}, entry{"application.properties", other}))
	want["lib/app.jar!application.properties"] = 2
	write("dist/pkg.whl", zipBytes(t, entry{"pkg/settings.py", secretFile}))
	want["dist/pkg.whl!pkg/settings.py"] = 3
	write("release.tar.gz", gzipBytes(tarBytes(t, entry{"release/README", "hi\n"}, entry{"release/lib/inner.zip", string(nested)})))
	want["release.tar.gz!release/lib/inner.zip!conf/app.env"] = 4
	write("notes.txt.xz", xzBytes(t, []byte(other)))
	want["notes.txt.xz!notes.txt"] = 2
	write("data/dump.sql.zst", zstdBytes(t, []byte(secretFile)))
	want["data/dump.sql.zst!dump.sql"] = 3
	write("logs/app.log.gz", gzipBytes([]byte(other)))
	want["logs/app.log.gz!app.log"] = 2
	write("renamed.dat", zipBytes(t, entry{"x.txt", other})) // found by magic bytes
	want["renamed.dat!x.txt"] = 2
	if _, err := exec.LookPath("bzip2"); err == nil {
		cmd := exec.Command("bzip2", "-c")
		cmd.Stdin = strings.NewReader(secretFile)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		write("backup.cfg.bz2", out)
		want["backup.cfg.bz2!backup.cfg"] = 3
	} else {
		t.Log("bzip2 command not found: bz2 case skipped")
	}
	return want
}

func findingLines(res *Result, strip string) map[string]int {
	got := map[string]int{}
	for _, f := range res.Findings {
		got[strings.TrimPrefix(f.Path, strip)] = f.Line
	}
	return got
}

func TestArchivesInDirectories(t *testing.T) {
	dir := t.TempDir()
	want := archiveTree(t, dir)
	var w warnings
	res, err := ScanPaths(context.Background(), testOptions(t, &w), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := findingLines(res, filepath.ToSlash(dir)+"/"); !reflect.DeepEqual(got, want) {
		t.Errorf("findings\n got %v\nwant %v", got, want)
	}
	if w.joined() != "" {
		t.Errorf("warnings: %s", w.joined())
	}

	// Archives larger than MaxFileSize are read from the file, not memory.
	opts := testOptions(t, &w)
	opts.MaxFileSize = 64
	res, err = ScanPaths(context.Background(), opts, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := findingLines(res, filepath.ToSlash(dir)+"/"); !reflect.DeepEqual(got, want) {
		t.Errorf("streamed: findings\n got %v\nwant %v", got, want)
	}

	// Archives can be left closed.
	opts.ArchiveLimits.MaxDepth = -1
	res, _ = ScanPaths(context.Background(), opts, []string{dir})
	if len(res.Findings) != 0 {
		t.Errorf("archives off: %d findings", len(res.Findings))
	}
}

func TestArchivesInHistory(t *testing.T) {
	r := newRepo(t)
	want := archiveTree(t, r.dir)
	first := r.commit("add archives")
	// A later version of one archive loses its secret: still_present tells.
	r.write("plain.zip", string(zipBytes(t, entry{"a/secret.cfg", "token = none\n"})))
	r.commit("scrub plain.zip")
	for backend, res := range scanGitBoth(t, r.dir) {
		if got := findingLines(res, ""); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: findings\n got %v\nwant %v", backend, got, want)
		}
		var present []string
		for _, f := range res.Findings {
			if f.Git.Commit != first || f.Git.Author != "Ada Author" {
				t.Errorf("%s: %s: commit %s author %q, want %s", backend, f.Path, f.Git.Commit, f.Git.Author, first)
			}
			if f.Git.StillPresent != nil && *f.Git.StillPresent {
				present = append(present, f.Path)
			}
		}
		sort.Strings(present)
		if len(present) != len(want)-1 || contains(present, "plain.zip!a/secret.cfg") {
			t.Errorf("%s: still present %v", backend, present)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// A zip bomb among the files costs a warning naming it and the limit; the
// secrets in its other entries and in other files are still reported.
func TestZipBombInDirectory(t *testing.T) {
	dir := t.TempDir()
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	w, _ := zw.Create("before.txt")
	w.Write([]byte("k = " + tokA + "\n"))
	w, _ = zw.Create("zeros.bin")
	zeros := make([]byte, 1<<20)
	for i := 0; i < 300; i++ {
		w.Write(zeros)
	}
	w, _ = zw.Create("after.txt")
	w.Write([]byte("k = " + tokB + "\n"))
	zw.Close()
	writeFile(t, filepath.Join(dir, "bomb.zip"), bomb.String(), 0o644)
	writeFile(t, filepath.Join(dir, "plain.txt"), "x "+tokC+"\n", 0o644)
	var warn warnings
	res, err := ScanPaths(context.Background(), testOptions(t, &warn), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	got := findingLines(res, filepath.ToSlash(dir)+"/")
	want := map[string]int{"bomb.zip!before.txt": 1, "bomb.zip!after.txt": 1, "plain.txt": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	msg := warn.joined()
	if !strings.Contains(msg, "bomb.zip") || !strings.Contains(msg, "compression ratio") || strings.Count(msg, "\n") != 0 {
		t.Errorf("want one warning naming bomb.zip and the ratio limit, got %q", msg)
	}
}
