package scanner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func TestScanPaths(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "x\n"+tokA+"\n", 0o644)
	writeFile(t, filepath.Join(dir, "sub", "b.yaml"), "password: 'Hx7!pQ2@zL9#'\n", 0o644)
	writeFile(t, filepath.Join(dir, ".git", "config"), tokB, 0o644)
	writeFile(t, filepath.Join(dir, "vendor", "v.go"), tokB, 0o644)
	writeFile(t, filepath.Join(dir, "bin.dat"), "\x00\x00"+tokC, 0o644)
	if os.Geteuid() != 0 { // root reads a mode-000 file anyway
		writeFile(t, filepath.Join(dir, "locked.txt"), tokC, 0o000)
	}
	if err := os.Symlink(filepath.Join(dir, "a.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	var w warnings
	res, err := ScanPaths(t.Context(), testOptions(t, &w), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	got := summarize(res.Findings)
	if len(got) != 2 {
		t.Fatalf("got %+v", got)
	}
	if got[0].Path != filepath.ToSlash(filepath.Join(dir, "a.txt")) || got[0].Line != 2 || got[0].Secret != tokA {
		t.Errorf("first: %+v", got[0])
	}
	if got[1].Rule != "test-password" || got[1].Secret != "Hx7!pQ2@zL9#" {
		t.Errorf("second: %+v", got[1])
	}
	if res.Stats.Binary != 1 {
		t.Errorf("binary = %d, want 1", res.Stats.Binary)
	}
	if os.Geteuid() != 0 {
		if !strings.Contains(w.joined(), "locked.txt") || !strings.Contains(w.joined(), "permission denied") {
			t.Errorf("no warning for the unreadable file: %q", w.joined())
		}
	}
	if strings.Contains(w.joined(), tokC) {
		t.Error("a warning shows a secret")
	}
}

func TestScanPathsMissingTarget(t *testing.T) {
	var w warnings
	_, err := ScanPaths(t.Context(), testOptions(t, &w), []string{filepath.Join(t.TempDir(), "nope")})
	if err == nil {
		t.Fatal("no error for a missing path")
	}
}

func TestLargeFileStreamedAcrossChunks(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for b.Len() < 3<<20 {
		b.WriteString("ordinary filler text for a large generated file\n")
	}
	b.WriteString("late " + tokB + "\n")
	path := filepath.Join(dir, "big.txt")
	writeFile(t, path, b.String(), 0o644)
	var w warnings
	opts := testOptions(t, &w)
	opts.MaxFileSize = 1 << 20
	res, err := ScanPaths(t.Context(), opts, []string{path})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Line != strings.Count(b.String(), "\n") || res.Findings[0].Column != 6 {
		t.Fatalf("got %+v", summarize(res.Findings))
	}
}

// TestStreamSecretAcrossEveryCut moves a secret across the cut between two
// stream windows: it must be found exactly once, at the right place.
func TestStreamSecretAcrossEveryCut(t *testing.T) {
	e := testEngine(t)
	const chunk, overlap = 4096, 256
	for shift := 0; shift < 80; shift++ {
		pad := strings.Repeat("a", chunk-overlap-40+shift)
		data := "line one\n" + pad + " " + tokA + " tail\nmore\n" + strings.Repeat("z ", 5000)
		ms, err := scanStreamSized(t.Context(), e, strings.NewReader(data), chunk, overlap, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 {
			t.Fatalf("shift %d: %d matches, want 1", shift, len(ms))
		}
		m := ms[0]
		if data[m.Start:m.End] != tokA || m.Line != 2 || m.Column != len(pad)+2 {
			t.Fatalf("shift %d: match %q at %d:%d", shift, data[m.Start:m.End], m.Line, m.Column)
		}
	}
}

func TestScanReader(t *testing.T) {
	var w warnings
	in := bytes.NewBufferString("one\n" + tokA + "\n")
	res, err := ScanReader(t.Context(), testOptions(t, &w), in, "stdin")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Path != "stdin" || res.Findings[0].Line != 2 {
		t.Fatalf("got %+v", summarize(res.Findings))
	}
}

func TestChunkedEqualsWhole(t *testing.T) {
	e := testEngine(t)
	var b strings.Builder
	for i := 0; b.Len() < 2<<20; i++ {
		if i%997 == 0 {
			b.WriteString("k=" + tokA + " and " + tokB + "\n")
		} else {
			b.WriteString("some text that is not a secret at all, line after line\n")
		}
	}
	data := []byte(b.String())
	whole := e.Scan(data)
	n := 0
	chunked := scanChunked(e, newChunkCache(), data, e.Overlap(), func() { n++ })
	if len(whole) == 0 || len(whole) != len(chunked) {
		t.Fatalf("whole %d, chunked %d", len(whole), len(chunked))
	}
	for i := range whole {
		a, c := whole[i], chunked[i]
		if a.Start != c.Start || a.Line != c.Line || a.Column != c.Column || a.Secret != c.Secret {
			t.Fatalf("match %d: whole %d:%d@%d chunked %d:%d@%d", i, a.Line, a.Column, a.Start, c.Line, c.Column, c.Start)
		}
	}
}

// An interrupted ScanBlobs frees every blob it was given, scanned or still
// queued: each blob's Done runs once (a spooled download is removed).
func TestScanBlobsInterruptedFreesEveryBlob(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var yielded, done atomic.Int64
	opts := testOptions(t, &warnings{})
	_, err := ScanBlobs(ctx, opts, "blobs", func(ctx context.Context, warn func(error), yield func(Blob) error) error {
		for i := 0; i < 200; i++ {
			b := Blob{Path: fmt.Sprintf("b%d.txt", i), Size: 5, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("hello")), nil },
				Done: func() { done.Add(1) }}
			yielded.Add(1) // the searcher owns a blob once given, even when yield fails
			if err := yield(b); err != nil {
				return err
			}
			if i == 100 {
				cancel()
			}
		}
		return nil
	})
	if err == nil {
		t.Fatal("no error from an interrupted scan")
	}
	if done.Load() != yielded.Load() {
		t.Fatalf("%d blobs yielded, %d freed", yielded.Load(), done.Load())
	}
}

// A scan that runs to its end frees every blob exactly once and only after
// it was scanned: the batch a source's last blobs go in is handed over,
// not freed, so every blob's finding is reported.
func TestScanBlobsFreesEachBlobOnceAfterScanning(t *testing.T) {
	const n = 600
	var mu sync.Mutex
	freed := make([]int, n)
	w := &warnings{}
	opts := testOptions(t, w)
	res, err := ScanBlobs(context.Background(), opts, "blobs", func(ctx context.Context, warn func(error), yield func(Blob) error) error {
		for i := 0; i < n; i++ {
			b := Blob{Path: fmt.Sprintf("b%03d.env", i), Size: -1,
				Open: func() (io.ReadCloser, error) {
					mu.Lock()
					defer mu.Unlock()
					if freed[i] > 0 {
						return nil, fmt.Errorf("b%03d.env opened after it was freed", i)
					}
					time.Sleep(200 * time.Microsecond) // workers behind the source: blobs queue in batches
					return io.NopCloser(strings.NewReader("token = " + tokA + "\n")), nil
				},
				Done: func() { mu.Lock(); freed[i]++; mu.Unlock() }}
			if err := yield(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range freed {
		if k != 1 {
			t.Fatalf("blob %d freed %d times", i, k)
		}
	}
	if len(res.Findings) != n || len(w.msgs) != 0 {
		t.Fatalf("%d findings of %d blobs; warnings %v", len(res.Findings), n, w.msgs)
	}
}
