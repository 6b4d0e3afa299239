// Package sweep scans many repositories into one results store: each
// target is cloned bare into a cache (fetched, not re-cloned, on later
// runs), its full history scanned with scanner.ScanGit, its findings and
// state saved to the store, and its new secrets verified once each.
//
// A sweep resumes: a repository whose ref tips did not change since its
// last completed scan is skipped; one that failed or was interrupted is
// scanned again. A failure of one repository is recorded with its reason
// and never stops the others.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/hosted"
	"github.com/achilles-sec/achilles/scanner/pipeline"
	"github.com/achilles-sec/achilles/scanner/sweep/store"
	"github.com/achilles-sec/achilles/scanner/sweep/targets"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/sourcegraph/conc/pool"
)

// Verifier verifies secrets for a sweep: *pipeline.Verification, the step
// a scan's chain runs, so that a sweep decides as a scan does.
type Verifier interface {
	// Verify answers each request (one answer per request, same order). A
	// request whose rule has no verifier gets nil. Each unique secret is
	// sent to one provider once.
	Verify(ctx context.Context, reqs []Request) []*finding.Verification
}

// Request is one secret to verify, found by a rule with its companion
// parts as the scanner related them.
type Request = pipeline.Candidate

// Progress is told how a sweep advances; it must be safe for concurrent use.
type Progress interface {
	Start(repos int)
	Bytes(n int64)
	RepoDone(o Outcome, live int)
}

// Outcome is what happened to one repository.
type Outcome struct {
	Key      string
	Result   string // scanned, skipped, missing, failed or interrupted
	Err      error
	Findings int
	Bytes    int64
}

// Outcome results.
const (
	Scanned     = "scanned"
	Skipped     = "skipped"
	Failed      = "failed"
	Interrupted = "interrupted"
	// Missing: a wiki the server says does not exist (see sweepOne).
	Missing = "missing"
)

// Options configure a sweep.
type Options struct {
	// Scan is used for every repository (its Progress is replaced).
	Scan scanner.Options
	Git  scanner.GitOptions
	// CacheDir holds the bare clones.
	CacheDir string
	// Parallel bounds the repositories cloned and scanned at once.
	Parallel int
	// Verifier, when set, verifies each new secret once.
	Verifier Verifier
	// Analysis, when set (with Verifier), maps what each secret found live
	// reaches, and the store keeps it.
	Analysis *pipeline.Analysis
	Progress Progress
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Summary counts what a sweep did.
type Summary struct {
	Repos, Scanned, Skipped, Failed, Interrupted int
	Missing                                      int // wikis that do not exist
	Findings                                     int // found by this run's scans
	Verified                                     int // secrets verified this run
	Live                                         int // live secrets in the store at the end
	Bytes                                        int64
	Duration                                     time.Duration
}

// Run sweeps the targets into st. It returns ctx's error when cancelled,
// with the summary so far; repositories it did not finish are scanned again
// by the next run.
func Run(ctx context.Context, st *store.Store, ts []targets.Target, o Options) (Summary, error) {
	start := time.Now()
	sum := Summary{Repos: len(ts)}
	if err := PrepareCache(o.CacheDir); err != nil {
		return sum, err
	}
	if o.Parallel < 1 {
		o.Parallel = 1
	}
	if o.Progress != nil {
		o.Progress.Start(len(ts))
	}
	var mu sync.Mutex
	var live atomic.Int64
	if n, err := st.CountLive(ctx); err == nil {
		live.Store(int64(n))
	}
	var fatal error
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := pool.New().WithMaxGoroutines(o.Parallel)
	for _, t := range ts {
		if runCtx.Err() != nil {
			break
		}
		p.Go(func() {
			out, verified, err := sweepOne(runCtx, st, t, &o)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && fatal == nil {
				fatal = err
				cancel()
			}
			switch out.Result {
			case Scanned:
				sum.Scanned++
			case Skipped:
				sum.Skipped++
			case Failed:
				sum.Failed++
			case Interrupted:
				sum.Interrupted++
			case Missing:
				sum.Missing++
			}
			sum.Findings += out.Findings
			sum.Bytes += out.Bytes
			sum.Verified += verified
			if o.Verifier != nil && verified > 0 {
				if n, err := st.CountLive(context.WithoutCancel(ctx)); err == nil {
					live.Store(int64(n))
				}
			}
			if o.Progress != nil {
				o.Progress.RepoDone(out, int(live.Load()))
			}
		})
	}
	p.Wait()
	sum.Interrupted += len(ts) - sum.Scanned - sum.Skipped - sum.Failed - sum.Interrupted - sum.Missing
	if fatal != nil {
		return sum, fatal
	}
	if ctx.Err() == nil && o.Verifier != nil {
		// Secrets never verified: found by a run without --verify, or whose
		// verification was interrupted.
		ids, err := st.Unverified(ctx)
		if err != nil {
			return sum, err
		}
		n, err := verifySecrets(ctx, st, ids, o.Verifier, o.Analysis, o.now)
		sum.Verified += n
		if err != nil {
			return sum, err
		}
	}
	if n, err := st.CountLive(context.WithoutCancel(ctx)); err == nil {
		sum.Live = n
	}
	sum.Duration = time.Since(start)
	return sum, ctx.Err()
}

// sweepOne fetches, scans and stores one repository. Its error is fatal to
// the sweep (the store failed); a repository's own failure is an Outcome.
func sweepOne(ctx context.Context, st *store.Store, t targets.Target, o *Options) (Outcome, int, error) {
	out := Outcome{Key: t.Key}
	fail := func(err error) (Outcome, int, error) {
		if ctx.Err() != nil {
			out.Result = Interrupted
			return out, 0, nil
		}
		out.Result, out.Err = Failed, err
		return out, 0, st.MarkFailed(context.WithoutCancel(ctx), t.Key, t.URL, t.Source, err.Error(), o.now())
	}
	if t.Refused != "" {
		// Nothing is fetched: the URL came from an API answer the sweep
		// does not follow.
		return fail(errors.New(t.Refused))
	}
	if t.Items != nil {
		return sweepItems(ctx, st, t, o, fail)
	}
	dir := filepath.Join(o.CacheDir, cacheName(t.Key))
	prev, known, err := st.Repo(ctx, t.Key)
	if err != nil {
		return out, 0, err
	}
	m, err := mirror(ctx, dir, t, func(tips string) bool {
		return known && prev.Status == store.StatusDone && prev.Tips == tips
	})
	if t.Wiki && ctx.Err() == nil && errors.Is(err, transport.ErrRepositoryNotFound) {
		// A wiki is a repository of its own that GitHub and GitLab create
		// with its first page: a server that says, when asked for its
		// refs, that there is no such repository (404) means there is no
		// wiki to scan. Only that answer, for a wiki only: any other
		// failure (credentials refused, a server error, a broken pack)
		// is a failure.
		_ = os.RemoveAll(dir)
		out.Result = Missing
		return out, 0, st.MarkMissing(ctx, t.Key, t.URL, t.Source, "no wiki: the server has no repository at "+redact(t.URL)+" (a wiki is created with its first page)", o.now())
	}
	if perr := privatize(dir); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return fail(err)
	}
	if m.unchanged {
		out.Result = Skipped
		return out, 0, nil
	}
	if err := st.MarkScanning(ctx, t.Key, t.URL, t.Source, o.now()); err != nil {
		return out, 0, err
	}
	var fs []finding.Finding
	var stats scanner.Stats
	if !m.empty {
		opts := o.Scan
		opts.Progress = bytesProgress{o.Progress}
		res, err := scanner.ScanGit(ctx, opts, o.Git, dir)
		if ctx.Err() != nil {
			// Left marked scanning: the next run scans it again.
			out.Result = Interrupted
			return out, 0, nil
		}
		if err != nil {
			return fail(fmt.Errorf("scanning: %w", err))
		}
		fs, stats = res.Findings, res.Stats
	}
	return saveAndVerify(ctx, st, t, o, out, store.Scan{
		Repo:     store.Repo{Key: t.Key, URL: t.URL, Source: t.Source, Tips: m.tips, Head: m.head, Bytes: stats.Bytes, Commits: stats.Commits},
		Findings: fs,
		At:       o.now(),
	})
}

// saveAndVerify stores a completed scan and verifies the secrets it found
// that were never verified.
func saveAndVerify(ctx context.Context, st *store.Store, t targets.Target, o *Options, out Outcome, sc store.Scan) (Outcome, int, error) {
	ids, err := st.SaveScan(ctx, sc)
	if err != nil {
		if ctx.Err() != nil {
			out.Result = Interrupted
			return out, 0, nil
		}
		return out, 0, err
	}
	out.Result, out.Findings, out.Bytes = Scanned, len(sc.Findings), sc.Repo.Bytes
	if o.Verifier == nil || len(ids) == 0 {
		return out, 0, nil
	}
	n, err := verifySecrets(ctx, st, ids, o.Verifier, o.Analysis, o.now)
	if ctx.Err() != nil {
		return out, n, nil
	}
	return out, n, err
}

// sweepItems scans a target of hosted items with the state its last
// scan saved, and saves the findings with this run's state: as a
// completed scan, or when interrupted as a partial one (the target stays
// unfinished) holding what the interrupted run finished.
func sweepItems(ctx context.Context, st *store.Store, t targets.Target, o *Options, fail func(error) (Outcome, int, error)) (Outcome, int, error) {
	out := Outcome{Key: t.Key}
	saved, err := st.HostedState(ctx, t.Key)
	if err != nil {
		return out, 0, err
	}
	if err := st.MarkScanning(ctx, t.Key, t.URL, t.Source, o.now()); err != nil {
		return out, 0, err
	}
	state := hosted.NewState(saved)
	opts := o.Scan
	opts.Progress = bytesProgress{o.Progress}
	res, err := scanner.ScanBlobs(ctx, opts, t.Key, state.Gate(t.Items(state)))
	if ctx.Err() != nil {
		// Keep what was finished: the findings so far and the marks of the
		// items whose blobs were all scanned (Gate). The target stays
		// marked scanning; the next run goes on from these marks.
		out.Result = Interrupted
		if res == nil {
			return out, 0, nil
		}
		_, err := st.SaveScan(context.WithoutCancel(ctx), store.Scan{
			Repo:        store.Repo{Key: t.Key, URL: t.URL, Source: t.Source},
			Findings:    res.Findings,
			At:          o.now(),
			HostedState: state.Save(),
			Partial:     true,
		})
		return out, 0, err
	}
	if err != nil {
		return fail(fmt.Errorf("scanning: %w", err))
	}
	return saveAndVerify(ctx, st, t, o, out, store.Scan{
		Repo:        store.Repo{Key: t.Key, URL: t.URL, Source: t.Source, Bytes: res.Stats.Bytes},
		Findings:    res.Findings,
		At:          o.now(),
		HostedState: state.Save(),
	})
}

// bytesProgress forwards a scan's bytes to the sweep's progress.
type bytesProgress struct{ p Progress }

func (b bytesProgress) Add(n int64, _ int) {
	if b.p != nil && n > 0 {
		b.p.Bytes(n)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// cacheName is the cache folder of a repository: readable, and unique by a
// hash of the key.
func cacheName(key string) string {
	h := fnv.New64a()
	h.Write([]byte(key))
	name := unsafeName.ReplaceAllString(key, "_")
	if len(name) > 80 {
		name = name[len(name)-80:]
	}
	return fmt.Sprintf("%s-%016x.git", name, h.Sum64())
}

// verifySecrets verifies the secrets with these ids and records the
// answers. It returns how many secrets got an answer.
func verifySecrets(ctx context.Context, st *store.Store, ids []string, v Verifier, an *pipeline.Analysis, now func() time.Time) (int, error) {
	secs, err := st.Secrets(ctx, ids)
	if err != nil {
		return 0, err
	}
	return verifyAndRecord(ctx, st, secs, v, an, now)
}

func verifyAndRecord(ctx context.Context, st *store.Store, secs []store.Secret, v Verifier, an *pipeline.Analysis, now func() time.Time) (int, error) {
	var reqs []Request
	var owner []int
	for i, s := range secs {
		for _, c := range s.Candidates {
			reqs = append(reqs, Request{RuleID: c.RuleID, Secret: s.Secret, Related: c.Parts, ChecksumFailed: c.ChecksumFailed})
			owner = append(owner, i)
		}
	}
	if len(reqs) == 0 {
		return 0, nil
	}
	answers := v.Verify(ctx, reqs)
	if ctx.Err() != nil {
		return 0, ctx.Err() // cancelled answers are not answers
	}
	best := make([]*finding.Verification, len(secs))
	bestReq := make([]int, len(secs))
	for i, a := range answers {
		if a == nil {
			continue
		}
		if b := best[owner[i]]; b == nil || b.Status == store.Unknown && a.Status != store.Unknown {
			best[owner[i]], bestReq[owner[i]] = a, i
		}
	}
	n := 0
	at := now()
	for i, a := range best {
		if a == nil {
			continue
		}
		n++
		if _, err := st.RecordVerification(ctx, secs[i].ID, store.Verification{Status: a.Status, Reason: a.Reason, Identity: a.Identity,
			Scopes: a.Scopes, ExpiresAt: a.ExpiresAt, Kind: a.Kind, Verifier: a.Verifier}, at); err != nil {
			return n, err
		}
	}
	if an != nil {
		// The live secrets, each as the finding its provider answered for.
		var live []finding.Finding
		var ids []string
		for i, a := range best {
			if a != nil && a.Status == store.Live {
				r := reqs[bestReq[i]]
				live = append(live, finding.Finding{RuleID: r.RuleID, Secret: r.Secret, Related: r.Related, Verification: a})
				ids = append(ids, secs[i].ID)
			}
		}
		an.Findings(ctx, live)
		for i := range live {
			if a := live[i].Analysis; a != nil && ctx.Err() == nil {
				if err := st.RecordAnalysis(ctx, ids[i], a, at); err != nil {
					return n, err
				}
			}
		}
	}
	return n, nil
}

// ReverifySummary counts what a re-verification did.
type ReverifySummary struct {
	Secrets, Answered, Live int
}

// Reverify checks every known secret again without scanning, and records
// each answer (a change of status is appended to the secret's history);
// with an Analysis, each live secret's reach is mapped again.
func Reverify(ctx context.Context, st *store.Store, v Verifier, an *pipeline.Analysis, now func() time.Time) (ReverifySummary, error) {
	if now == nil {
		now = time.Now
	}
	var sum ReverifySummary
	secs, err := st.Secrets(ctx, nil)
	if err != nil {
		return sum, err
	}
	sum.Secrets = len(secs)
	sum.Answered, err = verifyAndRecord(ctx, st, secs, v, an, now)
	if err != nil {
		return sum, err
	}
	sum.Live, err = st.CountLive(ctx)
	return sum, err
}
