package store

import (
	"context"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
)

func TestByFingerprintAndRevocations(t *testing.T) {
	ctx := context.Background()
	s := open(t, "x.db")
	f1 := fnd("aws-secret-access-key", "s1", "a.env")
	f2 := fnd("github-pat-classic", "ghp_x", "b.env")
	f2.Related = nil
	for _, repo := range []string{"h/o/b", "h/o/a"} {
		if _, err := s.SaveScan(ctx, Scan{Repo: Repo{Key: repo, URL: "https://" + repo}, At: time.Now(), Findings: []finding.Finding{f1, f2}}); err != nil {
			t.Fatal(err)
		}
	}
	got, missing, err := s.ByFingerprint(ctx, []string{f2.Fingerprint, "nope", f1.Fingerprint, f2.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) != 1 || missing[0] != "nope" || len(got) != 2 {
		t.Fatalf("%+v missing %v", got, missing)
	}
	if got[0].Secret != "ghp_x" || got[0].RuleID != "github-pat-classic" || got[0].Repo != "h/o/a" || got[0].SecretID != SecretID("ghp_x") {
		t.Fatalf("%+v", got[0])
	}
	if got[1].Related["aws-access-key-id"] != "AKIAZ3MSJV4WQPTHKR7N" {
		t.Fatalf("%+v", got[1])
	}

	if rs, err := s.Revocations(ctx); err != nil || len(rs) != 0 {
		t.Fatalf("%v %v", rs, err)
	}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, st := range []string{"failed", "revoked"} {
		if err := s.RecordRevocation(ctx, Revocation{At: at.Add(time.Duration(i) * time.Second), Fingerprint: f2.Fingerprint, SecretID: got[0].SecretID, RuleID: "github-pat-classic", Provider: "github", Status: st, Answer: "202"}); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := s.Revocations(ctx)
	if err != nil || len(rs) != 2 || rs[1].Status != "revoked" || !rs[1].At.Equal(at.Add(time.Second)) || rs[0].Provider != "github" {
		t.Fatalf("%+v %v", rs, err)
	}
}
