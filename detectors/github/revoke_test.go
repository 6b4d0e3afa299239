package github

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

// revokeAPI is a fake of POST /credentials/revoke as documented: an
// unauthenticated JSON body {"credentials": [...]} of up to 1,000 tokens,
// 202 Accepted; 403 to an authenticated call; 422 to a malformed body.
// answer, when set, decides the answer to the n-th well-formed request.
func revokeAPI(t *testing.T, got *[][]string, answer func(n int64, w http.ResponseWriter) bool) *vt.Server {
	var n atomic.Int64
	return vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || r.URL.Path != "/credentials/revoke" {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"Not Found"}`))
			return
		}
		if r.Header.Get("Authorization") != "" {
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"message":"Must not be authenticated"}`))
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var body struct {
			Credentials []string `json:"credentials"`
		}
		if json.Unmarshal(raw, &body) != nil || len(body.Credentials) == 0 || len(body.Credentials) > RevokeBatchSize {
			w.WriteHeader(http.StatusUnprocessableEntity)
			w.Write([]byte(`{"message":"Validation Failed"}`))
			return
		}
		k := n.Add(1)
		if answer != nil && answer(k, w) {
			return
		}
		*got = append(*got, body.Credentials)
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(`{}`))
	})
}

func TestRevokeOne(t *testing.T) {
	var got [][]string
	s := revokeAPI(t, &got, nil)
	c := s.Client("github", 2*time.Second)
	o, err := Revoker{}.Revoke(context.Background(), c, verify.Request{Secret: tok})
	if err != nil || o.Status != analyze.Revoked || !strings.Contains(o.Answer, "202") {
		t.Fatalf("%+v %v", o, err)
	}
	if len(got) != 1 || len(got[0]) != 1 || got[0][0] != tok {
		t.Fatalf("sent %v", got)
	}
	if c.Requests() != s.Hits.Load() || s.Hits.Load() != 1 {
		t.Fatalf("%d requests, %d reached the fake", c.Requests(), s.Hits.Load())
	}
}

func TestRevokeBatchSplitsAndSkipsUnrevocable(t *testing.T) {
	var got [][]string
	s := revokeAPI(t, &got, nil)
	reqs := []verify.Request{{Secret: "ghs_installation0123456789"}}
	for i := 0; i < RevokeBatchSize+1; i++ {
		reqs = append(reqs, verify.Request{Secret: fmt.Sprintf("ghp_%036d", i)})
	}
	out, err := Revoker{}.RevokeBatch(context.Background(), s.Client("github", 2*time.Second), reqs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[0]) != RevokeBatchSize || len(got[1]) != 1 {
		t.Fatalf("requests of %d tokens", len(got))
	}
	if out[0].Status != analyze.RevokeFailed || !strings.Contains(out[0].Answer, "not sent") {
		t.Errorf("installation token: %+v", out[0])
	}
	for _, o := range out[1:] {
		if o.Status != analyze.Revoked {
			t.Fatalf("%+v", o)
		}
	}
}

func TestRevokeBatchRateLimitedIsPartial(t *testing.T) {
	var got [][]string
	reset := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s := revokeAPI(t, &got, func(n int64, w http.ResponseWriter) bool {
		if n < 2 {
			return false
		}
		// GitHub's primary rate limit: 403 with nothing remaining.
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", fmt.Sprint(reset.Unix()))
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"message":"API rate limit exceeded for 192.0.2.1."}`))
		return true
	})
	var reqs []verify.Request
	for i := 0; i < RevokeBatchSize+5; i++ {
		reqs = append(reqs, verify.Request{Secret: fmt.Sprintf("github_pat_%040d", i)})
	}
	out, err := Revoker{}.RevokeBatch(context.Background(), s.Client("github", 2*time.Second), reqs)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Status != analyze.Revoked {
		t.Errorf("first batch: %+v", out[0])
	}
	last := out[len(out)-1]
	if last.Status != analyze.RevokeFailed || !strings.Contains(last.Answer, "rate-limited (403)") || !strings.Contains(last.Answer, "2030-01-02T03:04:05Z") {
		t.Errorf("second batch: %+v", last)
	}
}

func TestRevokeRetriesAfter429(t *testing.T) {
	var got [][]string
	s := revokeAPI(t, &got, func(n int64, w http.ResponseWriter) bool {
		if n > 1 {
			return false
		}
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"message":"You have exceeded a secondary rate limit."}`))
		return true
	})
	o, err := Revoker{}.Revoke(context.Background(), s.Client("github", 3*time.Second), verify.Request{Secret: tok})
	if err != nil || o.Status != analyze.Revoked || s.Hits.Load() != 2 {
		t.Fatalf("%+v %v, %d hits", o, err, s.Hits.Load())
	}
}

func TestRevokeRateLimitedPastRetriesAndRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   string
	}{
		{"429 past the retry budget", 429, map[string]string{"Retry-After": "3600"}, `{"message":"rate limited"}`, "retry after 3600 s"},
		{"422 spammed", 422, nil, `{"message":"Validation Failed: ` + tok + `"}`, "422 validation failed"},
		{"500", 500, nil, `{"message":"Internal Error"}`, "HTTP 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			})
			o, err := Revoker{}.Revoke(context.Background(), s.Client("github", 2*time.Second), verify.Request{Secret: tok})
			if err != nil || o.Status != analyze.RevokeFailed || !strings.Contains(o.Answer, tc.want) {
				t.Fatalf("%+v %v", o, err)
			}
			if strings.Contains(o.Answer, tok) {
				t.Fatalf("answer shows the token: %s", o.Answer)
			}
		})
	}
}

func TestRevokeUnreachableIsAnError(t *testing.T) {
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {})
	c := s.Client("github", time.Second)
	s.Close()
	if _, err := (Revoker{}).Revoke(context.Background(), c, verify.Request{Secret: tok}); err == nil || strings.Contains(err.Error(), tok) {
		t.Fatalf("%v", err)
	}
}
