// Package pipeline is the one chain every command runs after a scan:
// confidence filter → triage (ignore files, baseline) → findings about the
// target itself → verification through verify.Run → analysis of the live
// keys → the exit status. The
// scan commands (git, dir, stdin, precommit) run all of it; a sweep runs
// its verification step (Verification) on the secrets its store holds, so
// a scan and a sweep decide alike. The cli only turns flags into a Chain.
package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/achilles-sec/achilles/detectors/verifiers"
	"github.com/achilles-sec/achilles/detectors/verify"
	"github.com/achilles-sec/achilles/rules"
	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/triage"
)

// Chain is what happens to a scan's findings before they are reported.
type Chain struct {
	// MinConfidence drops findings below it.
	MinConfidence rules.Confidence
	// Filter suppresses what ignore files and a baseline list; nil: none.
	Filter *triage.Filter
	// Policy lists findings about the target itself, added after triage
	// so that no ignore file removes them; nil: none.
	Policy func(ctx context.Context) ([]finding.Finding, error)
	// Verify asks the providers about the secrets; nil: not verified.
	Verify *Verification
	// Analyze maps what the live keys reach; nil: not analyzed. It needs
	// Verify.
	Analyze *Analysis
	// OnlyLive keeps only the findings verified live.
	OnlyLive bool
}

// Outcome is what the chain did.
type Outcome struct {
	// Findings are what Run kept; List what RunList kept.
	Findings []finding.Finding
	List     *finding.List
	// Suppressed counts findings the Filter removed.
	Suppressed int
	// Requests counts verification (and analysis) requests sent (-1: not
	// verified).
	Requests int64
	// Analyzed counts the live keys analyzed.
	Analyzed int
}

// Run runs the chain over a scan's findings (it may reuse fs's array).
func (c *Chain) Run(ctx context.Context, fs []finding.Finding) (Outcome, error) {
	out, err := c.RunList(ctx, finding.ListOf(fs))
	if err == nil {
		out.Findings, err = out.List.Slice()
	}
	return out, err
}

// RunList runs the chain over a list of findings, reading it in passes:
// a list spilled to its spool (a million findings) is never held at once.
// The list it returns (Outcome.List) may be in itself or a new one that
// replaced it (in is then closed); the caller closes it.
func (c *Chain) RunList(ctx context.Context, in *finding.List) (Outcome, error) {
	out := Outcome{Requests: -1, List: in}
	filter := c.Filter != nil && c.Filter.Len() > 0
	drops := func(f *finding.Finding) (drop, suppressed bool) {
		if cf, ok := rules.ParseConfidence(f.Confidence); ok && cf < c.MinConfidence {
			return true, false
		}
		if filter && c.Filter.Suppressed(*f) {
			return true, true
		}
		return false, false
	}
	dropped := 0
	if err := in.Each(func(_ int, f *finding.Finding) error {
		if drop, sup := drops(f); drop {
			dropped++
			if sup {
				out.Suppressed++
			}
		}
		return nil
	}); err != nil {
		return out, err
	}
	l := in
	if dropped > 0 {
		kept, err := in.Filter(func(_ int, f *finding.Finding) bool { drop, _ := drops(f); return !drop })
		if err != nil {
			return out, err
		}
		in.Close()
		l = kept
		out.List = l
	}
	if c.Policy != nil {
		more, err := c.Policy(ctx)
		if err != nil {
			return out, fmt.Errorf("%w: %w", scanner.ErrTarget, err)
		}
		for i := range more {
			if err := l.Append(&more[i]); err != nil {
				return out, err
			}
		}
	}
	if c.Verify == nil || l.Len() == 0 {
		return out, nil
	}
	cs := make([]Candidate, 0, l.Len())
	if err := l.Each(func(_ int, f *finding.Finding) error {
		cs = append(cs, Candidate{RuleID: f.RuleID, Secret: f.Secret, Related: f.Related, ChecksumFailed: f.ChecksumFailed})
		return nil
	}); err != nil {
		return out, err
	}
	res := c.Verify.Verify(ctx, cs)
	cs = nil
	// Analysis reads only the live findings: they are few, and held.
	var live []finding.Finding
	var at map[int]int
	if c.Analyze != nil {
		at = map[int]int{}
		if err := l.Each(func(i int, f *finding.Finding) error {
			if v := res[i]; v != nil && v.Status == string(verify.Live) {
				f.Verification = v
				at[i] = len(live)
				live = append(live, *f)
			}
			return nil
		}); err != nil {
			return out, err
		}
		out.Analyzed = c.Analyze.Findings(ctx, live)
	}
	out.Requests = c.Verify.Client.Requests()
	answered, err := l.Filter(func(i int, f *finding.Finding) bool {
		f.Verification = res[i]
		if k, ok := at[i]; ok {
			f.Analysis = live[k].Analysis
		}
		return !c.OnlyLive || isLive(f)
	})
	if err != nil {
		return out, err
	}
	l.Close()
	out.List = answered
	return out, nil
}

// FilterConfidence keeps the findings of at least min confidence (it
// reuses fs's array).
func FilterConfidence(fs []finding.Finding, min rules.Confidence) []finding.Finding {
	out := fs[:0]
	for _, f := range fs {
		if c, ok := rules.ParseConfidence(f.Confidence); ok && c < min {
			continue
		}
		out = append(out, f)
	}
	return out
}

// OnlyLive keeps the findings verified live (it reuses fs's array).
func OnlyLive(fs []finding.Finding) []finding.Finding {
	out := fs[:0]
	for _, f := range fs {
		if isLive(&f) {
			out = append(out, f)
		}
	}
	return out
}

func isLive(f *finding.Finding) bool {
	return f.Verification != nil && f.Verification.Status == string(verify.Live)
}

// Exit is the exit-status policy shared by scans and sweeps.
type Exit struct {
	// Code is the status when findings are reported.
	Code int
	// FailOnLive exits with Code only when a finding is live.
	FailOnLive bool
}

// Status is the exit status for a report of n findings of which live are
// live: Code when it should fail, 0 otherwise.
func (e Exit) Status(n, live int) int {
	if n > 0 && (!e.FailOnLive || live > 0) {
		return e.Code
	}
	return 0
}

// Verification verifies secrets through verify.Run, the one orchestrator:
// each unique secret once, look-alikes whose checksum failed never sent, a
// rule whose verifier is missing answered unknown with a reason.
type Verification struct {
	Config    *rules.Config
	Client    *verify.Client
	Verifiers map[string]verify.Verifier
	// Workers bounds concurrent secrets (default 16).
	Workers int
}

// Candidate is one secret to verify: the rule that found it, its companion
// parts as the scanner related them (finding.Related), and whether its
// checksum failed.
type Candidate struct {
	RuleID         string
	Secret         string
	Related        map[string]string
	ChecksumFailed bool
}

// Request is the provider request of a candidate: its companion parts and
// which of them are only the nearest of several.
func (c Candidate) Request() verify.Request {
	parts, ambiguous := finding.Companions(c.Related)
	return verify.Request{RuleID: c.RuleID, Secret: c.Secret, Parts: parts, Ambiguous: ambiguous, ChecksumFailed: c.ChecksumFailed}
}

// Findings verifies the findings' secrets and attaches each answer.
func (v *Verification) Findings(ctx context.Context, fs []finding.Finding) {
	cs := make([]Candidate, len(fs))
	for i := range fs {
		cs[i] = Candidate{RuleID: fs[i].RuleID, Secret: fs[i].Secret, Related: fs[i].Related, ChecksumFailed: fs[i].ChecksumFailed}
	}
	for i, r := range v.Verify(ctx, cs) {
		fs[i].Verification = r
	}
}

// Verify answers each candidate, in order: nil for a rule without a
// verifier.
func (v *Verification) Verify(ctx context.Context, cs []Candidate) []*finding.Verification {
	reqs := make([]verify.Request, len(cs))
	for i, c := range cs {
		reqs[i] = c.Request()
	}
	workers := v.Workers
	if workers <= 0 {
		workers = 16
	}
	res := verify.Run(ctx, v.Client, v.Verifiers, verifiers.Rules(v.Config), reqs, workers)
	out := make([]*finding.Verification, len(cs))
	for i, c := range cs {
		out[i] = v.result(c.RuleID, res[i])
	}
	return out
}

// result turns Run's answer for a finding of rule into what a report
// shows: nil when the rule has no verifier and nothing was said.
func (v *Verification) result(rule string, r verify.Result) *finding.Verification {
	if r.Status == "" {
		return nil
	}
	id := ""
	if ru := v.Config.ByID(rule); ru != nil {
		id = ru.Verifier
	}
	if by := r.Extra["verified_by"]; by != "" {
		id = by
	}
	return ToVerification(id, r)
}

// ToVerification is a provider's answer as findings carry it.
func ToVerification(id string, r verify.Result) *finding.Verification {
	out := &finding.Verification{Status: string(r.Status), Reason: r.Reason, Identity: r.Identity, Scopes: r.Scopes, Kind: r.Kind, Verifier: id}
	if !r.ExpiresAt.IsZero() {
		out.ExpiresAt = r.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return out
}
