package store

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// Findings of hosted items and images keep their location in the store,
// and a target's hosted state is saved with its scan and merged with it.
func TestItemFindingsAndHostedState(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	f := finding.Finding{RuleID: "slack-webhook", Secret: "https://hooks.slack.com/services/T0/B0/x", Path: "https://github.com/o/r/issues/1", Line: 1,
		Kind: finding.KindItem, Item: &finding.ItemOrigin{Type: "issue", URL: "https://github.com/o/r/issues/1", Author: "mallory", Date: "2026-01-02T03:04:05Z"}}
	f.Fingerprint = finding.MakeFingerprint(f.RuleID, f.Secret, f.Path)
	state := []byte(`{"items":{"https://github.com/o/r/issues/1":"2026-01-02T03:04:05Z"}}`)
	if _, err := s.SaveScan(ctx, Scan{Repo: Repo{Key: "github.com/o/r#items", URL: "https://github.com/o/r"}, Findings: []finding.Finding{f},
		At: time.Now(), HostedState: state}); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store) {
		t.Helper()
		ex, err := s.Exposures(ctx)
		if err != nil || len(ex) != 1 {
			t.Fatalf("%d exposures, %v", len(ex), err)
		}
		got := ex[0].Finding.Finding
		if got.Kind != finding.KindItem || got.Item == nil || *got.Item != *f.Item || got.Git != nil {
			t.Fatalf("stored location kind %q item %+v git %+v", got.Kind, got.Item, got.Git)
		}
		st, err := s.HostedState(ctx, "github.com/o/r#items")
		if err != nil || !bytes.Equal(st, state) {
			t.Fatalf("state %s, %v", st, err)
		}
	}
	check(s)
	s.Close()
	// An older database without the origin column gains it.
	s, err = Open(filepath.Join(dir, "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	check(s)
	if _, err := s.db.Exec(`ALTER TABLE findings DROP COLUMN origin`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	old, err := Open(filepath.Join(dir, "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := old.Exposures(ctx)
	if err != nil || len(ex) != 1 {
		t.Fatalf("old database: %d exposures, %v", len(ex), err)
	}
	old.Close()
	// Merging carries both.
	b := open(t, "b.db")
	a2, err := Open(filepath.Join(dir, "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a2.SaveScan(ctx, Scan{Repo: Repo{Key: "github.com/o/r#items", URL: "https://github.com/o/r"}, Findings: []finding.Finding{f},
		At: time.Now(), HostedState: state}); err != nil {
		t.Fatal(err)
	}
	a2.Close()
	if _, err := b.Merge(ctx, filepath.Join(dir, "c.db")); err != nil {
		t.Fatal(err)
	}
	check(b)
}
