package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFileURIEscapesWhatURIsMean(t *testing.T) {
	for in, want := range map[string]string{
		"/d/results?v2.db": "file:/d/results%3Fv2.db",
		"/d/a#b%41.db":     "file:/d/a%23b%2541.db",
		"/d/plain.db":      "file:/d/plain.db",
		"//d//x.db":        "file:/d/x.db",
	} {
		if got, err := fileURI(in); err != nil || got != want {
			t.Errorf("fileURI(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestURLsAreStoredWithoutUserinfo(t *testing.T) {
	ctx := context.Background()
	s := open(t, "x.db")
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.MarkFailed(ctx, "h/o/a", "https://u:Pw-store-1@h/o/a.git", "file", "no", at); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveScan(ctx, Scan{Repo: Repo{Key: "h/o/b", URL: "https://Pw-store-2@h/o/b.git"}, At: at}); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"h/o/a": "https://h/o/a.git", "h/o/b": "https://h/o/b.git"} {
		if r, _, _ := s.Repo(ctx, key); r.URL != want {
			t.Errorf("%s stored as %q, want %q", key, r.URL, want)
		}
	}
}

// A database an earlier version wrote, with a credential in a URL and
// mode 0644, is scrubbed and made 0600 when opened; the credential's bytes
// are gone from the file.
func TestOpenScrubsAnOldDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// Written as an older achilles did: straight into the table.
	if _, err := s.db.Exec(`INSERT INTO repos(key, url, status, updated_at) VALUES ('h/o/r', 'https://u:Pw-old-db-31415@h/o/r.git', 'done', 'x')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	os.Chmod(path, 0o644)
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r, _, _ := s.Repo(context.Background(), "h/o/r")
	s.Close()
	if r.URL != "https://h/o/r.git" {
		t.Fatalf("URL %q after opening", r.URL)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	for _, side := range []string{"", "-wal", "-shm"} {
		if b, err := os.ReadFile(path + side); err == nil && bytes.Contains(b, []byte("Pw-old-db-31415")) {
			t.Fatalf("%s%s still holds the password", path, side)
		}
	}
}
