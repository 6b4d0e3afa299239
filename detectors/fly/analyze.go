package fly

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.fly.io"

// Analyzer asks Fly.io's GraphQL API (POST /graphql, queries only) who the
// token is and which organizations it belongs to with its role in each
// (viewer, organizations { viewerRole }), then lists the apps it reaches
// (apps, 100 a page, following pageInfo.endCursor up to analyze.MaxPages).
// A token acts as its user: it deploys to, reads and sets the secrets of
// every app listed; an organization admin also manages members and tokens.
//
// Docs: https://fly.io/docs/flyctl/tokens/ (token kinds)
// schema: https://github.com/superfly/flyctl/blob/master/gql/schema.graphql
// (Queries.viewer, Queries.organizations, Organization.viewerRole,
// Queries.apps, PageInfo)
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "fly" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	var first struct {
		Viewer *struct {
			Email string `json:"email"`
		} `json:"viewer"`
		Organizations struct {
			Nodes []struct {
				Slug       string `json:"slug"`
				Type       string `json:"type"`
				ViewerRole string `json:"viewerRole"`
			} `json:"nodes"`
			PageInfo struct {
				HasNextPage bool `json:"hasNextPage"`
			} `json:"pageInfo"`
		} `json:"organizations"`
	}
	if err := a.query(ctx, c, req, `query { viewer { email } organizations(first: 100) { nodes { slug name type viewerRole } pageInfo { hasNextPage } } }`, nil, &first); err != nil {
		return nil, err
	}
	if first.Viewer == nil || first.Viewer.Email == "" {
		return nil, errors.New("Fly.io did not say who the token is")
	}
	rep := &analyze.Report{Analyzer: a.ID(), Identity: first.Viewer.Email, Kind: "API token"}
	admin := 0
	for _, o := range first.Organizations.Nodes {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "organization", Name: o.Slug, Permissions: []string{o.ViewerRole}})
		if strings.EqualFold(o.ViewerRole, "admin") {
			admin++
		}
	}
	if first.Organizations.PageInfo.HasNextPage {
		rep.Partial = append(rep.Partial, "organizations: only the first 100 listed")
	}

	apps, after := 0, ""
	for page := 0; ; page++ {
		if page == analyze.MaxPages {
			rep.Partial = append(rep.Partial, fmt.Sprintf("apps: stopped after %d pages", analyze.MaxPages))
			break
		}
		vars := map[string]any{"after": nil}
		if after != "" {
			vars["after"] = after
		}
		var body struct {
			Apps struct {
				Nodes []struct {
					Name         string `json:"name"`
					Organization struct {
						Slug string `json:"slug"`
					} `json:"organization"`
				} `json:"nodes"`
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"apps"`
		}
		if err := a.query(ctx, c, req, `query($after: String) { apps(first: 100, after: $after) { nodes { name organization { slug } } pageInfo { hasNextPage endCursor } } }`, vars, &body); err != nil {
			rep.Partial = append(rep.Partial, "apps: "+err.Error())
			break
		}
		for _, app := range body.Apps.Nodes {
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "app", Name: app.Organization.Slug + "/" + app.Name, Permissions: []string{"deploy", "secrets"}})
			apps++
		}
		if !body.Apps.PageInfo.HasNextPage || body.Apps.PageInfo.EndCursor == "" {
			break
		}
		after = body.Apps.PageInfo.EndCursor
	}

	orgs := len(first.Organizations.Nodes)
	switch {
	case admin > 0:
		rep.Severity = analyze.SeverityAdmin
		rep.Worst = fmt.Sprintf("admin of %d Fly.io %s as %s; deploys to %d %s", admin, plural(admin, "organization"), rep.Identity, apps, plural(apps, "app"))
	case apps > 0:
		rep.Severity = analyze.SeverityWrite
		rep.Worst = fmt.Sprintf("can deploy to and set secrets of %d Fly.io %s in %d %s as %s", apps, plural(apps, "app"), orgs, plural(orgs, "organization"), rep.Identity)
	case orgs > 0:
		rep.Severity, rep.Worst = analyze.SeverityRead, fmt.Sprintf("member of %d Fly.io %s, no apps", orgs, plural(orgs, "organization"))
	default:
		rep.Severity, rep.Worst = analyze.SeverityInfo, "no Fly.io organizations or apps readable as "+rep.Identity
	}
	rep.Sort()
	return rep, nil
}

// query posts one GraphQL query and decodes its data into v. An
// unauthorized answer (401, or an UNAUTHORIZED error with no data) is an
// error naming the rejection; the error never holds the token.
func (a Analyzer) query(ctx context.Context, c *verify.Client, req verify.Request, q string, vars map[string]any, v any) error {
	payload := map[string]any{"query": q}
	if vars != nil {
		payload["variables"] = vars
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	resp, failed := c.Send(ctx, req, verify.Call{
		Verifier: a.ID(), Official: official, Method: http.MethodPost, Path: "/graphql",
		Header: map[string]string{"Authorization": authHeader(req.Secret), "Content-Type": "application/json"},
		Body:   string(body),
	})
	if failed != nil {
		return errors.New(verify.Scrub(failed.Reason, req))
	}
	if resp.Status == http.StatusUnauthorized {
		return errors.New("Fly.io rejected the token (401)")
	}
	if resp.Status != http.StatusOK {
		return &analyze.StatusError{Status: resp.Status, Path: "/graphql"}
	}
	var answer struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(resp.Body, &answer); err != nil {
		return errors.New("/graphql: the answer is not the documented JSON")
	}
	if len(answer.Errors) > 0 && (len(answer.Data) == 0 || string(answer.Data) == "null") {
		e := answer.Errors[0]
		if e.Extensions.Code == "UNAUTHORIZED" || strings.Contains(strings.ToLower(e.Message), "not authorized") {
			return errors.New("Fly.io rejected the token (unauthorized)")
		}
		return errors.New(verify.Scrub("/graphql: "+e.Message, req))
	}
	if err := json.Unmarshal(answer.Data, v); err != nil {
		return errors.New("/graphql: the answer is not the documented JSON")
	}
	return nil
}

// authHeader sends a macaroon ("FlyV1 fm2_...") in its own scheme and an
// older token as a bearer token, as the verifier does.
func authHeader(secret string) string {
	switch {
	case strings.HasPrefix(secret, "FlyV1 "):
		return secret
	case strings.HasPrefix(secret, "fm1") || strings.HasPrefix(secret, "fm2_"):
		return "FlyV1 " + secret
	}
	return "Bearer " + secret
}

func plural(n int, kind string) string {
	if n == 1 {
		return kind
	}
	return kind + "s"
}
