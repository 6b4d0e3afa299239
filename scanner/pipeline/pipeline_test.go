package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/rules"
	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/triage"
)

func fnd(rule, conf, path string) finding.Finding {
	return finding.Finding{RuleID: rule, Confidence: conf, Path: path, Line: 1, Secret: rule + path,
		Fingerprint: finding.MakeFingerprint(rule, rule+path, path)}
}

// TestChainOrder: confidence first, then ignore files; the target's own
// findings come after triage, so no ignore file can remove them.
func TestChainOrder(t *testing.T) {
	filter := triage.NewFilter()
	policy := fnd("achilles-config-change", "high", ".achillesignore")
	ignored := fnd("r", "high", "b.env")
	if err := filter.Read(strings.NewReader(ignored.Fingerprint + "\n" + policy.Fingerprint + "\n")); err != nil {
		t.Fatal(err)
	}
	c := Chain{
		MinConfidence: rules.ConfidenceMedium,
		Filter:        filter,
		Policy:        func(context.Context) ([]finding.Finding, error) { return []finding.Finding{policy}, nil },
	}
	out, err := c.Run(context.Background(), []finding.Finding{fnd("r", "low", "a.env"), ignored, fnd("r", "medium", "c.env")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range out.Findings {
		got = append(got, f.Path)
	}
	if strings.Join(got, ",") != "c.env,.achillesignore" || out.Suppressed != 1 || out.Requests != -1 {
		t.Fatalf("kept %v, suppressed %d, requests %d", got, out.Suppressed, out.Requests)
	}

	// A target whose own changes cannot be listed fails as an unreadable
	// target, not as "no findings".
	c.Policy = func(context.Context) ([]finding.Finding, error) { return nil, errors.New("bad revision") }
	if _, err := c.Run(context.Background(), nil); !errors.Is(err, scanner.ErrTarget) {
		t.Fatalf("policy failure: %v, want ErrTarget", err)
	}
}

func TestExit(t *testing.T) {
	live := fnd("r", "high", "a")
	live.Verification = &finding.Verification{Status: "live"}
	dead := fnd("r", "high", "b")
	dead.Verification = &finding.Verification{Status: "dead"}
	for _, c := range []struct {
		e    Exit
		fs   []finding.Finding
		want int
	}{
		{Exit{Code: 1}, nil, 0},
		{Exit{Code: 1}, []finding.Finding{dead}, 1},
		{Exit{Code: 7, FailOnLive: true}, []finding.Finding{dead}, 0},
		{Exit{Code: 7, FailOnLive: true}, []finding.Finding{dead, live}, 7},
		{Exit{Code: 0}, []finding.Finding{live}, 0},
	} {
		live := 0
		for i := range c.fs {
			if isLive(&c.fs[i]) {
				live++
			}
		}
		if got := c.e.Status(len(c.fs), live); got != c.want {
			t.Errorf("%+v over %d findings: %d, want %d", c.e, len(c.fs), got, c.want)
		}
	}
}
