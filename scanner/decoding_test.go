package scanner

import (
	"context"
	"encoding/base64"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Encoded secrets are found in files, history and streams when DecodeDepth
// is set, at the encoded text's line and column, with the decode chain.
func TestDecodedFindingsInEverySource(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString([]byte("token: " + tokA + "\n"))
	nested := url.QueryEscape(base64.StdEncoding.EncodeToString([]byte("t=" + tokB + "?")))
	content := "first line\n  cfg: " + enc + "\nurl: /cb?s=" + nested + " end\n"
	type want struct {
		secret string
		line   int
		column int
		chain  []string
	}
	wants := []want{
		{tokA, 2, 8, []string{"base64"}},
		{tokB, 3, 6, []string{"percent", "base64"}},
	}
	check := func(t *testing.T, res *Result, path string) {
		t.Helper()
		var got []want
		for _, f := range res.Findings {
			if f.Path != path {
				t.Errorf("path %q, want %q", f.Path, path)
			}
			got = append(got, want{f.Secret, f.Line, f.Column, f.Decoded})
		}
		if !reflect.DeepEqual(got, wants) {
			t.Errorf("got %+v\nwant %+v", got, wants)
		}
	}

	t.Run("dir", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "conf.yaml"), content, 0o644)
		var w warnings
		opts := testOptions(t, &w)
		res, err := ScanPaths(context.Background(), opts, []string{dir})
		if err != nil || len(res.Findings) != 0 {
			t.Fatalf("decoding off: %v, %d findings", err, len(res.Findings))
		}
		opts.DecodeDepth = 2
		res, err = ScanPaths(context.Background(), opts, []string{dir})
		if err != nil {
			t.Fatal(err)
		}
		check(t, res, filepath.ToSlash(filepath.Join(dir, "conf.yaml")))
	})
	t.Run("git", func(t *testing.T) {
		r := newRepo(t)
		r.write("conf.yaml", content)
		r.commit("add config")
		for _, backend := range []string{"git", "go-git"} {
			var w warnings
			opts := testOptions(t, &w)
			opts.DecodeDepth = 2
			res, err := ScanGit(context.Background(), opts, GitOptions{Backend: backend}, r.dir)
			if err != nil {
				t.Fatal(err)
			}
			check(t, res, "conf.yaml")
		}
	})
	t.Run("stream", func(t *testing.T) {
		var w warnings
		opts := testOptions(t, &w)
		opts.DecodeDepth = 2
		res, err := ScanReader(context.Background(), opts, strings.NewReader(content), "stdin")
		if err != nil {
			t.Fatal(err)
		}
		check(t, res, "stdin")
	})
	t.Run("stream windows", func(t *testing.T) {
		// Small windows: each encoded segment is found once, by the window
		// its start belongs to, at its place in the whole stream.
		var w warnings
		opts := testOptions(t, &w)
		opts.DecodeDepth = 2
		long := strings.Repeat("filler line of text\n", 50) + content
		ms, err := scanStreamSized(context.Background(), opts.bufScanner(), strings.NewReader(long), 300, 128, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 2 || ms[0].Line != 52 || ms[1].Line != 53 || ms[1].Column != 6 {
			t.Errorf("got %+v", ms)
		}
	})
}
