package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// RevokeBatchSize is the most credentials GitHub takes in one revocation
// request.
const RevokeBatchSize = 1000

// revocable are the token kinds the credential revocation API accepts.
// Installation tokens (ghs_) expire within the hour and are not accepted.
var revocable = []string{"ghp_", "github_pat_", "gho_", "ghu_", "ghr_"}

// Revoker revokes GitHub tokens through the credential revocation API,
// which takes tokens the caller does not own, without authentication
// (authenticated requests are refused with 403), up to 1,000 a request and
// 60 requests an hour; GitHub notifies each token's owner.
//
// Docs: https://docs.github.com/en/rest/credentials/revoke#revoke-a-list-of-credentials
//
// GitHub Enterprise Server has the same path under its API root
// ([verify.endpoints] github = "https://ghe.example.com/api/v3").
type Revoker struct{}

// ID implements analyze.Revoker.
func (Revoker) ID() string { return "github" }

// Revoke implements analyze.Revoker.
func (r Revoker) Revoke(ctx context.Context, c *verify.Client, req verify.Request) (analyze.Outcome, error) {
	out, err := r.RevokeBatch(ctx, c, []verify.Request{req})
	if err != nil {
		return analyze.Outcome{}, err
	}
	return out[0], nil
}

// RevokeBatch implements analyze.BatchRevoker: the tokens GitHub accepts
// go in requests of up to RevokeBatchSize; a request refused (rate limit,
// validation) fails its own tokens only. The error is for a batch none of
// whose requests could be made.
func (r Revoker) RevokeBatch(ctx context.Context, c *verify.Client, reqs []verify.Request) ([]analyze.Outcome, error) {
	out := make([]analyze.Outcome, len(reqs))
	var send []int
	for i, req := range reqs {
		if !isRevocable(req.Secret) {
			out[i] = analyze.Outcome{Status: analyze.RevokeFailed, Answer: "not sent: GitHub's credential revocation API takes ghp_, github_pat_, gho_, ghu_ and ghr_ tokens only"}
			continue
		}
		send = append(send, i)
	}
	var lastErr error
	made := 0
	for start := 0; start < len(send); start += RevokeBatchSize {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		chunk := send[start:min(start+RevokeBatchSize, len(send))]
		o, err := r.revokeChunk(ctx, c, reqs, chunk)
		if err != nil {
			lastErr = err
			o = analyze.Outcome{Status: analyze.RevokeFailed, Answer: err.Error()}
		} else {
			made++
		}
		for _, i := range chunk {
			out[i] = o
		}
	}
	if made == 0 && lastErr != nil {
		return nil, lastErr
	}
	return out, nil
}

func isRevocable(tok string) bool {
	for _, p := range revocable {
		if strings.HasPrefix(tok, p) {
			return true
		}
	}
	return false
}

// revokeChunk sends one request; the outcome applies to every token in it,
// since GitHub answers for the request as a whole.
func (r Revoker) revokeChunk(ctx context.Context, c *verify.Client, reqs []verify.Request, chunk []int) (analyze.Outcome, error) {
	body := struct {
		Credentials []string `json:"credentials"`
	}{}
	all := verify.Request{Parts: map[string]string{}}
	for n, i := range chunk {
		body.Credentials = append(body.Credentials, reqs[i].Secret)
		all.Parts[strconv.Itoa(n)] = reqs[i].Secret
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return analyze.Outcome{}, err
	}
	// No Authorization header: the endpoint is for tokens one does not own,
	// and refuses authenticated calls.
	resp, fail := c.Send(ctx, all, verify.Call{
		Verifier: r.ID(), Official: official, Method: http.MethodPost, Path: "/credentials/revoke",
		Header: map[string]string{
			"Accept":               "application/vnd.github+json",
			"Content-Type":         "application/json",
			"X-GitHub-Api-Version": "2022-11-28",
		},
		Body: string(raw),
	})
	if fail != nil {
		return analyze.Outcome{}, fmt.Errorf("GitHub credential revocation: %s", fail.Reason)
	}
	answer := func(s string) string { return verify.Scrub(s, all) }
	switch {
	case resp.Status == http.StatusAccepted || resp.Status == http.StatusOK:
		return analyze.Outcome{Status: analyze.Revoked, Answer: fmt.Sprintf("%d accepted: GitHub revokes the token and notifies its owner", resp.Status)}, nil
	case rateLimited(resp):
		return analyze.Outcome{Status: analyze.RevokeFailed, Answer: answer(fmt.Sprintf("rate-limited (%d): %s", resp.Status, retryWhen(resp)))}, nil
	case resp.Status == http.StatusUnprocessableEntity:
		return analyze.Outcome{Status: analyze.RevokeFailed, Answer: answer("422 validation failed, or the endpoint has been spammed: " + message(resp.Body))}, nil
	}
	return analyze.Outcome{Status: analyze.RevokeFailed, Answer: answer(fmt.Sprintf("HTTP %d: %s", resp.Status, message(resp.Body)))}, nil
}

// rateLimited tells GitHub's rate-limit answers: 429, or 403 with no
// requests remaining (or a Retry-After, for the secondary limits).
func rateLimited(resp *verify.Response) bool {
	if resp.Status == http.StatusTooManyRequests {
		return true
	}
	return resp.Status == http.StatusForbidden && (resp.Header.Get("X-RateLimit-Remaining") == "0" || resp.Header.Get("Retry-After") != "")
}

// retryWhen says when to try again, from Retry-After or X-RateLimit-Reset.
func retryWhen(resp *verify.Response) string {
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			return fmt.Sprintf("retry after %d s", n)
		}
	}
	if s := resp.Header.Get("X-RateLimit-Reset"); s != "" {
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return "retry after " + time.Unix(n, 0).UTC().Format(time.RFC3339)
		}
	}
	return "retry later (60 requests an hour)"
}

// message reads the "message" of a GitHub error body, shortened.
func message(body []byte) string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &m) != nil || m.Message == "" {
		return "no message"
	}
	if len(m.Message) > 200 {
		return m.Message[:200] + "..."
	}
	return m.Message
}
