package verify

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// RuleVerifier names the verifier of one rule (the rule's `verifier = "id"`).
type RuleVerifier struct {
	Rule     string
	Verifier string
}

// maxCandidates bounds the pairings of one secret that are tried: each
// distinct set of companion parts its findings brought, in their order.
const maxCandidates = 4

// Run is the one place findings are verified, for scans and sweeps alike.
// It returns one result per request, in the same order; a request whose
// rule has no verifier gets the zero Result (nothing to say, nothing sent).
//
//   - rules gives each rule's verifier, in the rules file's order. When one
//     secret was matched by rules of two providers, the verifier of the
//     earliest rule in that order is asked first (the choice does not
//     depend on the order of reqs), the next only when the one before
//     rejected it; every request gets the answer, with Extra["verified_by"]
//     naming the verifier that gave it when that is not its rule's.
//   - A rule naming a verifier that does not exist gets Unknown with a
//     reason; a request whose offline checksum failed is a look-alike and
//     is never sent (Unknown, saying so).
//   - Each unique secret is asked about once, with the companion parts of
//     its first finding; when the provider rejects that pairing, the other
//     pairings its findings brought are tried (at most maxCandidates). A
//     rejection is dead only when every candidate companion was tried:
//     when the content held several matches of a companion rule
//     (Request.Ambiguous), it is unknown.
//   - A finding of a companion part (an AWS key id) that got no answer of
//     its own takes the result of a live (or canary) secret it was paired
//     with; a dead pairing says nothing of the part.
//   - At most workers secrets are verified at once (16 when <= 0), within
//     the client's per-verifier limit; cancelling ctx ends the batch early:
//     what was not asked is Unknown "cancelled".
//
// Requests carry in Parts every related part of their finding (only the
// verifier's companions are sent).
func Run(ctx context.Context, c *Client, verifiers map[string]Verifier, rules []RuleVerifier, reqs []Request, workers int) []Result {
	if workers <= 0 {
		workers = 16
	}
	rank := map[string]int{}
	verifierOf := map[string]string{}
	for i, r := range rules {
		if _, seen := rank[r.Rule]; !seen && r.Verifier != "" {
			rank[r.Rule] = i
			verifierOf[r.Rule] = r.Verifier
		}
	}
	out := make([]Result, len(reqs))
	// For each secret, each verifier that may be asked, through the
	// earliest-ranked rule naming it that matched the secret.
	type key struct{ secret, verifier string }
	stepRule := map[key]string{}
	for i, req := range reqs {
		id, named := verifierOf[req.RuleID]
		switch {
		case !named || req.Secret == "":
			continue // zero Result: the rule has no verifier (or nothing to send)
		case verifiers[id] == nil:
			out[i] = Result{Status: Unknown, Reason: "no verifier named " + id}
			continue
		case req.ChecksumFailed:
			out[i] = Result{Status: Unknown, Reason: "its checksum is wrong: a look-alike, not sent"}
			continue
		}
		k := key{req.Secret, id}
		if w, ok := stepRule[k]; !ok || rank[req.RuleID] < rank[w] {
			stepRule[k] = req.RuleID
		}
	}
	jobs := map[string]*secretJob{}
	var order []string
	steps := map[key]*job{}
	for _, req := range reqs {
		id := verifierOf[req.RuleID]
		k := key{req.Secret, id}
		if w, ok := stepRule[k]; !ok || w != req.RuleID || req.ChecksumFailed {
			continue
		}
		sj := jobs[req.Secret]
		if sj == nil {
			sj = &secretJob{}
			jobs[req.Secret] = sj
			order = append(order, req.Secret)
		}
		j := steps[k]
		if j == nil {
			j = &job{v: verifiers[id], rank: rank[req.RuleID]}
			steps[k] = j
			sj.steps = append(sj.steps, j)
		}
		cand := Request{RuleID: req.RuleID, Secret: req.Secret, Parts: map[string]string{}}
		for _, comp := range j.v.Companions() {
			if p, ok := req.Parts[comp]; ok {
				cand.Parts[comp] = p
			}
			if slices.Contains(req.Ambiguous, comp) && !slices.Contains(j.ambiguous, comp) {
				j.ambiguous = append(j.ambiguous, comp)
			}
		}
		if slices.ContainsFunc(j.candidates, func(o Request) bool { return maps.Equal(o.Parts, cand.Parts) }) {
			continue
		}
		if len(j.candidates) == maxCandidates {
			j.truncated = true
			continue
		}
		j.candidates = append(j.candidates, cand)
	}
	for _, sj := range jobs {
		slices.SortStableFunc(sj.steps, func(a, b *job) int { return a.rank - b.rank })
	}
	// A fixed pool: a million unique secrets are a million jobs, not a
	// million goroutines.
	next := make(chan *secretJob)
	var wg sync.WaitGroup
	for range min(workers, len(order)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sj := range next {
				if ctx.Err() != nil {
					sj.res, sj.by = Result{Status: Unknown, Reason: "cancelled"}, sj.steps[0]
					continue
				}
				sj.verify(ctx, c)
			}
		}()
	}
	for _, s := range order {
		next <- jobs[s]
	}
	close(next)
	wg.Wait()
	// Every request of a verified secret gets its result; those whose
	// rule names another verifier than the one that answered say which.
	for i, req := range reqs {
		sj := jobs[req.Secret]
		if sj == nil || out[i].Status != "" || verifierOf[req.RuleID] == "" {
			continue
		}
		out[i] = sj.res
		if verifierOf[req.RuleID] != sj.by.v.ID() {
			out[i].Extra = maps.Clone(sj.res.Extra)
			if out[i].Extra == nil {
				out[i].Extra = map[string]string{}
			}
			out[i].Extra["verified_by"] = sj.by.v.ID()
		}
	}
	// A companion part's own finding takes a live (or canary) pairing's
	// result: the pair proves what the part is.
	type partKey struct{ rule, secret string }
	livePart := map[partKey]*secretJob{}
	for _, s := range order {
		sj := jobs[s]
		if (sj.res.Status != Live && sj.res.Status != Canary) || sj.by.livePair == nil {
			continue
		}
		for rule, part := range sj.by.livePair {
			if _, ok := livePart[partKey{rule, part}]; !ok {
				livePart[partKey{rule, part}] = sj
			}
		}
	}
	for i, req := range reqs {
		if out[i].Status == Live || out[i].Status == Dead {
			continue
		}
		if sj, ok := livePart[partKey{req.RuleID, req.Secret}]; ok {
			out[i] = sj.res
			out[i].Extra = maps.Clone(sj.res.Extra)
			if out[i].Extra == nil {
				out[i].Extra = map[string]string{}
			}
			out[i].Extra["verified_by"] = sj.by.v.ID()
		}
	}
	return out
}

// secretJob is one secret's verification: a step for each verifier whose
// rules matched it, earliest rule first. A secret two providers' rules
// match (sk_live_ keys of Stripe and of others) is asked of the next
// provider only when the one before rejected it: dead only when every
// provider did.
type secretJob struct {
	steps []*job
	res   Result
	by    *job // the step whose answer res is
}

func (sj *secretJob) verify(ctx context.Context, c *Client) {
	var firstDead *Result
	for _, j := range sj.steps {
		res := j.verify(ctx, c)
		if res.Status == Dead && ctx.Err() == nil {
			if firstDead == nil {
				firstDead, sj.by = &res, j
			}
			continue
		}
		sj.res, sj.by = res, j
		return
	}
	sj.res = *firstDead
}

// job is one verifier's part of a secret's verification: the pairings to
// try.
type job struct {
	v          Verifier
	rank       int // of the rule it is asked through
	candidates []Request
	ambiguous  []string          // companion rules the content matched more than once
	truncated  bool              // more pairings than maxCandidates were found
	livePair   map[string]string // the parts of the pairing that was live or canary
}

// verify asks about one secret, pairing by pairing, until one is live. A
// verifier without companions is asked once.
func (j *job) verify(ctx context.Context, c *Client) Result {
	var first, undecided *Result
	rejected := 0
	for _, cand := range j.candidates {
		res := c.Verify(ctx, j.v, cand)
		switch res.Status {
		case Live, Canary:
			j.livePair = cand.Parts
			return res
		case Dead:
			rejected++
		default:
			if undecided == nil {
				undecided = &res
			}
		}
		if first == nil {
			first = &res
		}
		if len(j.v.Companions()) == 0 || ctx.Err() != nil {
			break
		}
	}
	switch {
	case first == nil:
		return Result{Status: Unknown, Reason: "nothing to ask"}
	case undecided != nil:
		return *undecided
	case len(j.v.Companions()) > 0 && (len(j.ambiguous) > 0 || j.truncated):
		what := strings.Join(j.ambiguous, ", ")
		if what == "" {
			what = "companion"
		}
		tried := "1 pairing tried"
		if rejected != 1 {
			tried = fmt.Sprintf("%d pairings tried", rejected)
		}
		return Result{Status: Unknown, Reason: fmt.Sprintf("rejected with the %s found nearest (%s); other matches of it nearby were not tried: the pairing may be wrong, not the key", what, tried)}
	case rejected > 1:
		res := *first
		res.Reason = fmt.Sprintf("%s; rejected with every pairing found (%d)", res.Reason, rejected)
		return res
	}
	return *first
}
