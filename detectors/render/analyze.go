// Package render maps what a Render API key reaches.
package render

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.render.com"

// pageSize is the largest limit Render's list endpoints take.
const pageSize = 100

// Analyzer lists the workspaces (owners) the key's user belongs to
// (GET /v1/owners) and the services in them (GET /v1/services). Lists are
// cursor-paged: each item carries a cursor, and the last item's is sent as
// `cursor` for the next page; a page shorter than the limit is the last.
// An API key acts as its user in every workspace: it deploys, reads and
// sets environment variables, and suspends or deletes services.
//
// Docs: https://api-docs.render.com/reference/list-owners
// https://api-docs.render.com/reference/list-services
// https://api-docs.render.com/reference/pagination
// https://api-docs.render.com/reference/rate-limiting
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "render" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	auth := map[string]string{"Authorization": "Bearer " + req.Secret, "Accept": "application/json"}
	ownerName := map[string]string{}
	var identity string
	owners, truncated, err := a.paged(ctx, c, req, auth, "/v1/owners", func(raw json.RawMessage) (string, error) {
		var item struct {
			Owner struct {
				ID    string `json:"id"`
				Name  string `json:"name"`
				Email string `json:"email"`
				Type  string `json:"type"`
			} `json:"owner"`
			Cursor string `json:"cursor"`
		}
		if err := json.Unmarshal(raw, &item); err != nil {
			return "", err
		}
		ownerName[item.Owner.ID] = item.Owner.Name
		if identity == "" && item.Owner.Type == "user" {
			identity = item.Owner.Email
		}
		return item.Cursor, nil
	})
	if err != nil && owners == 0 {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Render rejected the key (401)")
		}
		return nil, errors.New(verify.Scrub("Render /v1/owners: "+err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "API key"}
	a.note(rep, req, "/v1/owners", truncated, err)
	for _, name := range ownerName {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "workspace", Name: name, Permissions: []string{"member"}})
	}
	if identity == "" {
		for _, name := range ownerName {
			if identity == "" || name < identity {
				identity = name
			}
		}
	}
	rep.Identity = identity

	services, truncated, err := a.paged(ctx, c, req, auth, "/v1/services", func(raw json.RawMessage) (string, error) {
		var item struct {
			Service struct {
				Name      string `json:"name"`
				Type      string `json:"type"`
				OwnerID   string `json:"ownerId"`
				Suspended string `json:"suspended"`
			} `json:"service"`
			Cursor string `json:"cursor"`
		}
		if err := json.Unmarshal(raw, &item); err != nil {
			return "", err
		}
		name := item.Service.Name
		if o := ownerName[item.Service.OwnerID]; o != "" {
			name = o + "/" + name
		}
		if item.Service.Type != "" {
			name += " (" + item.Service.Type + ")"
		}
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "service", Name: name, Permissions: []string{"deploy", "environment variables"}})
		return item.Cursor, nil
	})
	a.note(rep, req, "/v1/services", truncated, err)

	rep.Severity, rep.Worst = analyze.SeverityInfo, fmt.Sprintf("reaches %d Render %s but no services", len(ownerName), plural(len(ownerName), "workspace"))
	if services > 0 {
		rep.Severity = analyze.SeverityWrite
		rep.Worst = fmt.Sprintf("can deploy and read the environment of %d Render %s in %d %s", services, plural(services, "service"), len(ownerName), plural(len(ownerName), "workspace"))
	}
	rep.Sort()
	return rep, nil
}

// paged follows a cursor-paged listing up to analyze.MaxPages pages, handing
// each item to each, which returns the item's cursor. It returns how many
// items it read, whether the page bound cut it, and the error that ended it.
func (a Analyzer) paged(ctx context.Context, c *verify.Client, req verify.Request, auth map[string]string, path string, each func(json.RawMessage) (string, error)) (int, bool, error) {
	n, cursor := 0, ""
	for page := 0; page < analyze.MaxPages; page++ {
		q := url.Values{"limit": {fmt.Sprint(pageSize)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var items []json.RawMessage
		if _, err := analyze.GetJSON(ctx, c, req, verify.Call{Verifier: a.ID(), Official: official, Path: path + "?" + q.Encode(), Header: auth}, &items); err != nil {
			return n, false, err
		}
		for _, it := range items {
			cur, err := each(it)
			if err != nil {
				return n, false, fmt.Errorf("%s: the answer is not the documented JSON", path)
			}
			cursor = cur
			n++
		}
		if len(items) < pageSize || cursor == "" {
			return n, false, nil
		}
	}
	return n, true, nil
}

func (a Analyzer) note(rep *analyze.Report, req verify.Request, path string, truncated bool, err error) {
	switch {
	case err != nil:
		rep.Partial = append(rep.Partial, verify.Scrub(err.Error(), req))
	case truncated:
		rep.Partial = append(rep.Partial, fmt.Sprintf("%s: stopped after %d pages", path, analyze.MaxPages))
	}
}

func plural(n int, kind string) string {
	if n == 1 {
		return kind
	}
	return kind + "s"
}
