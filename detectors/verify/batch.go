package verify

import (
	"context"
	"sync"
)

// RuleVerifier names the verifier of one rule (the rule's `verifier = "id"`).
type RuleVerifier struct {
	Rule     string
	Verifier string
}

// Run verifies a batch of findings' secrets and returns one result per
// request, in the same order.
//
//   - rules gives each rule's verifier, in the rules file's order. When one
//     secret was matched by rules of two providers, only the verifier of the
//     earliest rule in that order is asked (the choice does not depend on
//     the order of reqs); the other requests get a copy of its result with
//     Extra["verified_by"] naming the verifier that answered.
//   - A request whose rule has no verifier, or names an unknown one, gets
//     Unknown with a reason saying so, and nothing is sent.
//   - Each unique (verifier, secret, parts) is asked once (the client's
//     cache); at most workers verifications run at once (16 when <= 0),
//     and the client's per-verifier limit holds within that.
//   - Cancelling ctx ends the batch early: what was not asked is Unknown
//     "cancelled".
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
	// The winning rule per secret: the earliest-ranked rule that matched it
	// and has a verifier we know.
	winner := map[string]string{}
	for _, req := range reqs {
		id := verifierOf[req.RuleID]
		if _, ok := verifiers[id]; !ok {
			continue
		}
		w, ok := winner[req.Secret]
		if !ok || rank[req.RuleID] < rank[w] {
			winner[req.Secret] = req.RuleID
		}
	}
	out := make([]Result, len(reqs))
	asked := make([]bool, len(reqs))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, req := range reqs {
		id, known := verifierOf[req.RuleID]
		switch {
		case !known:
			out[i] = Result{Status: Unknown, Reason: "rule " + req.RuleID + " has no verifier"}
			continue
		case verifiers[id] == nil:
			out[i] = Result{Status: Unknown, Reason: "no verifier named " + id}
			continue
		case verifierOf[winner[req.Secret]] != id:
			continue // filled below from the winner's result
		}
		asked[i] = true
		wg.Add(1)
		go func(i int, v Verifier, req Request) {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i] = Result{Status: Unknown, Reason: "cancelled"}
				return
			}
			defer func() { <-sem }()
			out[i] = c.Verify(ctx, v, req)
		}(i, verifiers[id], req)
	}
	wg.Wait()
	// Copy each winner's result to the other providers' findings of the
	// same secret.
	bySecret := map[string]Result{}
	for i, req := range reqs {
		if asked[i] {
			if _, ok := bySecret[req.Secret]; !ok || req.RuleID == winner[req.Secret] {
				bySecret[req.Secret] = out[i]
			}
		}
	}
	for i, req := range reqs {
		if asked[i] || out[i].Status != "" {
			continue
		}
		res := bySecret[req.Secret]
		extra := map[string]string{}
		for k, v := range res.Extra {
			extra[k] = v
		}
		extra["verified_by"] = verifierOf[winner[req.Secret]]
		res.Extra = extra
		out[i] = res
	}
	return out
}
