package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
)

func open(t *testing.T, name string) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func fnd(rule, secret, path string) finding.Finding {
	return finding.Finding{RuleID: rule, Secret: secret, Path: path, Line: 3, Fingerprint: finding.MakeFingerprint(rule, secret, path),
		Git: &finding.GitOrigin{Date: "2023-04-05T06:07:08Z"}, Related: map[string]string{"aws-access-key-id": "AKIAZ3MSJV4WQPTHKR7N"}}
}

func TestDatabaseIsPrivate(t *testing.T) {
	s := open(t, "x.db")
	st, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
}

func TestSaveScanUpsertsFindings(t *testing.T) {
	ctx := context.Background()
	s := open(t, "x.db")
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	sc := Scan{Repo: Repo{Key: "h/o/r", URL: "https://h/o/r.git", Tips: "t1"}, At: t0,
		Findings: []finding.Finding{fnd("aws-secret-access-key", "s1", "a.env"), fnd("aws-secret-access-key", "s1", "b.env")}}
	ids, err := s.SaveScan(ctx, sc)
	if err != nil || len(ids) != 1 {
		t.Fatalf("ids %v, err %v", ids, err)
	}
	sc.At = t0.Add(time.Hour)
	if _, err := s.SaveScan(ctx, sc); err != nil {
		t.Fatal(err)
	}
	keys, _ := s.FindingKeys(ctx)
	if len(keys) != 2 {
		t.Fatalf("%d findings stored, want 2", len(keys))
	}
	secs, err := s.Secrets(ctx, nil)
	if err != nil || len(secs) != 1 || len(secs[0].Candidates) != 1 || secs[0].Candidates[0].Parts["aws-access-key-id"] == "" {
		t.Fatalf("secrets %+v, err %v", secs, err)
	}
}

func TestStatusHistory(t *testing.T) {
	ctx := context.Background()
	s := open(t, "x.db")
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.SaveScan(ctx, Scan{Repo: Repo{Key: "k"}, At: t0, Findings: []finding.Finding{fnd("r", "sec", "p")}}); err != nil {
		t.Fatal(err)
	}
	id := SecretID("sec")
	steps := []struct {
		status  string
		changed bool
	}{{Live, true}, {Live, false}, {Unknown, false}, {Dead, true}, {Dead, false}}
	for i, st := range steps {
		changed, err := s.RecordVerification(ctx, id, Verification{Status: st.status, Identity: "me"}, t0.Add(time.Duration(i+1)*time.Hour))
		if err != nil || changed != st.changed {
			t.Fatalf("step %d (%s): changed %v, err %v", i, st.status, changed, err)
		}
	}
	es, err := s.Exposures(ctx)
	if err != nil || len(es) != 1 {
		t.Fatalf("%v %v", es, err)
	}
	e := es[0]
	if e.Verification.Status != Dead || len(e.History) != 2 || e.LiveSince == "" || ParseTime(e.DeadSince) != t0.Add(4*time.Hour) {
		t.Fatalf("state %+v history %+v", e.Verification, e.History)
	}
}

func TestMergeKeepsNewerScan(t *testing.T) {
	ctx := context.Background()
	a, b := open(t, "a.db"), open(t, "b.db")
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := a.SaveScan(ctx, Scan{Repo: Repo{Key: "shared"}, At: t0, Findings: []finding.Finding{fnd("r", "old", "p")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SaveScan(ctx, Scan{Repo: Repo{Key: "only-a"}, At: t0, Findings: []finding.Finding{fnd("r", "a", "p")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SaveScan(ctx, Scan{Repo: Repo{Key: "shared"}, At: t0.Add(time.Hour), Findings: []finding.Finding{fnd("r", "new", "p")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.RecordVerification(ctx, SecretID("new"), Verification{Status: Live}, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	out := open(t, "out.db")
	for _, src := range []*Store{a, b} {
		if _, err := out.Merge(ctx, src.Path()); err != nil {
			t.Fatal(err)
		}
	}
	keys, _ := out.FindingKeys(ctx)
	want := []FindingKey{{"only-a", finding.MakeFingerprint("r", "a", "p")}, {"shared", finding.MakeFingerprint("r", "new", "p")}}
	if len(keys) != 2 || keys[0] != want[0] || keys[1] != want[1] {
		t.Fatalf("merged findings %v, want %v", keys, want)
	}
	if n, _ := out.CountLive(ctx); n != 1 {
		t.Fatalf("%d live after merge, want 1", n)
	}
	// Merging the older one again changes nothing.
	st, err := out.Merge(ctx, a.Path())
	if err != nil || st.Kept != 2 || st.Repos != 0 {
		t.Fatalf("re-merge %+v %v", st, err)
	}
}

// A canary answer is kept as such (not folded into unknown), so a sweep's
// report can say which leaked keys were planted decoys.
func TestCanaryStatusIsKept(t *testing.T) {
	ctx := context.Background()
	s := open(t, "x.db")
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.SaveScan(ctx, Scan{Repo: Repo{Key: "k"}, At: t0, Findings: []finding.Finding{fnd("aws-access-key-id", "AKIAQYLPMN5HHHFPZAM2", "p")}}); err != nil {
		t.Fatal(err)
	}
	id := SecretID("AKIAQYLPMN5HHHFPZAM2")
	if changed, err := s.RecordVerification(ctx, id, Verification{Status: Canary, Reason: "a Canarytokens account"}, t0.Add(time.Hour)); err != nil || !changed {
		t.Fatalf("changed %v, err %v", changed, err)
	}
	// A later failed attempt keeps the definite answer.
	if changed, err := s.RecordVerification(ctx, id, Verification{Status: Unknown, Reason: "timeout"}, t0.Add(2*time.Hour)); err != nil || changed {
		t.Fatalf("changed %v, err %v", changed, err)
	}
	es, err := s.Exposures(ctx)
	if err != nil || len(es) != 1 || es[0].Verification.Status != Canary {
		t.Fatalf("%+v %v", es, err)
	}
}
