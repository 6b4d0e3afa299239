package dockerhub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://hub.docker.com"

// Analyzer maps what a Docker Hub access token reaches: it exchanges the
// token for a short-lived access token as the verifier does
// (POST /v2/auth/token, https://docs.docker.com/reference/api/hub/latest/#tag/authentication-api/operation/AuthCreateAccessToken),
// reads the scopes from that token's claims, and lists the repositories
// of the token's namespace (GET /v2/namespaces/{namespace}/repositories,
// https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/listNamespaceRepositories).
// The permission on each repository is the token's scope: repo:admin,
// repo:write, repo:read or repo:public_read
// (https://docs.docker.com/security/for-developers/access-tokens/).
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "dockerhub" }

// pageSize is the listing's documented maximum.
const pageSize = 100

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	user := req.Parts[UserRule]
	if user == "" {
		return nil, fmt.Errorf("a Docker Hub token needs its username or organization; none found nearby")
	}
	body, _ := json.Marshal(map[string]string{"identifier": user, "secret": req.Secret})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_, err := analyze.GetJSON(ctx, c, req, verify.Call{
		Verifier: a.ID(), Official: official, Method: http.MethodPost, Path: "/v2/auth/token",
		Header: map[string]string{"Content-Type": "application/json", "Accept": "application/json"},
		Body:   string(body),
	}, &tok)
	if err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, fmt.Errorf("Docker Hub rejected the token (401)")
		}
		return nil, fmt.Errorf("Docker Hub: %s", verify.Scrub(err.Error(), req))
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("Docker Hub: the token exchange gave no access token")
	}
	// The short-lived token is as secret as the key: scrub it too.
	scrub := verify.Request{Secret: req.Secret, Parts: map[string]string{"access_token": tok.AccessToken}}

	kind := "personal access token"
	if strings.HasPrefix(req.Secret, "dckr_oat_") {
		kind = "organization access token"
	}
	rep := &analyze.Report{Analyzer: a.ID(), Identity: verify.Scrub(user, req), Kind: kind}
	claims := jwtClaims(tok.AccessToken)
	if name := claimString(claims, "username"); name != "" {
		rep.Identity = verify.Scrub(name, req)
	}
	scopes := strings.Fields(claimString(claims, "scope"))
	perm := strongest(scopes)
	if len(scopes) > 0 {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "token", Name: "scopes", Permissions: scopes})
	} else {
		rep.Partial = append(rep.Partial, "token scopes: the access token's claims name none")
	}

	namespace := user
	pushable, private, total := 0, 0, 0
	page := 1
	for ; page <= analyze.MaxPages; page++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		path := fmt.Sprintf("/v2/namespaces/%s/repositories?page_size=%d&page=%d", url.PathEscape(namespace), pageSize, page)
		var list struct {
			Count   int     `json:"count"`
			Next    *string `json:"next"`
			Results []struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
				IsPrivate bool   `json:"is_private"`
			} `json:"results"`
		}
		_, err := analyze.GetJSON(ctx, c, scrub, verify.Call{
			Verifier: a.ID(), Official: official, Path: path,
			Header: map[string]string{"Authorization": "Bearer " + tok.AccessToken, "Accept": "application/json"},
		}, &list)
		if err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub("repositories: "+err.Error(), scrub))
			break
		}
		for _, r := range list.Results {
			ns := r.Namespace
			if ns == "" {
				ns = namespace
			}
			perms := []string{perm}
			if r.IsPrivate {
				perms = append(perms, "private")
				private++
			}
			if perm == "admin" || perm == "write" {
				pushable++
			}
			total++
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "repository", Name: ns + "/" + r.Name, Permissions: perms})
		}
		if list.Next == nil || *list.Next == "" || len(list.Results) == 0 {
			break
		}
		if page == analyze.MaxPages {
			rep.Partial = append(rep.Partial, fmt.Sprintf("repositories: stopped after %d pages", analyze.MaxPages))
		}
	}

	switch perm {
	case "admin":
		rep.Worst = fmt.Sprintf("admin of %d repositories in %s (push, delete, change visibility)", total, namespace)
		rep.Severity = analyze.SeverityAdmin
	case "write":
		rep.Worst = fmt.Sprintf("can push images to %d repositories in %s", pushable, namespace)
		rep.Severity = analyze.SeverityWrite
	case "read":
		rep.Worst = fmt.Sprintf("pulls %d repositories in %s (%d private)", total, namespace, private)
		rep.Severity = analyze.SeverityRead
	case "public_read":
		rep.Worst = "pulls public images only"
		rep.Severity = analyze.SeverityInfo
	default:
		rep.Worst = fmt.Sprintf("reaches %d repositories in %s with unknown scopes", total, namespace)
		rep.Severity = analyze.SeverityRead
	}
	rep.Sort()
	return rep, nil
}

// strongest names the strongest repository scope among a token's scopes.
func strongest(scopes []string) string {
	best := "unknown"
	rank := map[string]int{"unknown": 0, "public_read": 1, "read": 2, "write": 3, "admin": 4}
	for _, s := range scopes {
		p := strings.TrimPrefix(s, "repo:")
		if p == s {
			continue
		}
		if rank[p] > rank[best] {
			best = p
		}
	}
	return best
}
