package pipeline

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	"github.com/achilles-sec/achilles/scanner/finding"
)

// Analysis maps what each live key reaches (its blast radius): the step
// after verification, for --analyze. A key is analyzed once however many
// findings hold it, only when its provider said it is live (a canary is
// never live, so it is never analyzed), by the analyzer of the verifier
// that said so, through the verification client (same hosts, same TLS).
type Analysis struct {
	Client    *verify.Client
	Analyzers map[string]analyze.Analyzer
	// Workers bounds concurrent analyses (default 4: an analysis makes
	// several requests of its own).
	Workers int
}

// Findings analyzes the live findings' keys and attaches each report. It
// returns how many keys were analyzed.
func (a *Analysis) Findings(ctx context.Context, fs []finding.Finding) int {
	type job struct {
		an  analyze.Analyzer
		req verify.Request
		at  []int
		out *finding.Analysis
	}
	jobs := map[string]*job{}
	var order []*job
	for i := range fs {
		f := &fs[i]
		if f.Verification == nil || f.Verification.Status != string(verify.Live) {
			continue
		}
		an, ok := a.Analyzers[f.Verification.Verifier]
		if !ok {
			continue
		}
		req := Candidate{RuleID: f.RuleID, Secret: f.Secret, Related: f.Related}.Request()
		key := an.ID() + "\x00" + req.Secret + "\x00" + partsKey(req.Parts)
		j, ok := jobs[key]
		if !ok {
			j = &job{an: an, req: req}
			jobs[key] = j
			order = append(order, j)
		}
		j.at = append(j.at, i)
	}
	workers := a.Workers
	if workers <= 0 {
		workers = 4
	}
	work := make(chan *job)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(order)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				j.out = runAnalyzer(ctx, a.Client, j.an, j.req)
			}
		}()
	}
	for _, j := range order {
		if ctx.Err() != nil {
			break
		}
		work <- j
	}
	close(work)
	wg.Wait()
	for _, j := range order {
		for _, i := range j.at {
			fs[i].Analysis = j.out
		}
	}
	return len(order)
}

func runAnalyzer(ctx context.Context, c *verify.Client, an analyze.Analyzer, req verify.Request) *finding.Analysis {
	if ctx.Err() != nil {
		return nil
	}
	rep, err := an.Analyze(ctx, c, req)
	if err != nil {
		return &finding.Analysis{Analyzer: an.ID(), Error: verify.Scrub(err.Error(), req)}
	}
	if rep == nil {
		return &finding.Analysis{Analyzer: an.ID(), Error: "the analyzer said nothing"}
	}
	return ToAnalysis(an.ID(), rep)
}

// ToAnalysis is an analyzer's report as findings carry it.
func ToAnalysis(id string, r *analyze.Report) *finding.Analysis {
	out := &finding.Analysis{Analyzer: id, Worst: r.Worst, Severity: r.Severity.String(), Identity: r.Identity, Kind: r.Kind,
		Scopes: r.Scopes, ExpiresAt: r.ExpiresAt, Partial: r.Partial}
	for _, res := range r.Resources {
		out.Resources = append(out.Resources, finding.Resource{Kind: res.Kind, Name: res.Name, Permissions: res.Permissions})
	}
	return out
}

func partsKey(parts map[string]string) string {
	keys := make([]string, 0, len(parts))
	for k := range parts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + parts[k] + "\x00")
	}
	return b.String()
}
