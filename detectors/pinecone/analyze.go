// Package pinecone maps what a leaked Pinecone API key can reach: the
// indexes and collections of the project the key belongs to.
package pinecone

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// official is the control-plane host the "pinecone" verifier uses.
const official = "https://api.pinecone.io"

// apiVersion is the X-Pinecone-API-Version every request names.
const apiVersion = "2025-04"

// Analyzer maps a project API key.
//
// Docs: https://docs.pinecone.io/reference/api/2025-04/control-plane/list_indexes,
// https://docs.pinecone.io/reference/api/2025-04/control-plane/list_collections,
// https://docs.pinecone.io/guides/projects/manage-api-keys (a key belongs to
// one project; its role, by default "All", is not readable with the key).
// Neither listing is paginated.
type Analyzer struct{}

// ID implements analyze.Analyzer.
func (Analyzer) ID() string { return "pinecone" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: map[string]string{
			"Api-Key": req.Secret, "X-Pinecone-API-Version": apiVersion, "Accept": "application/json",
		}}
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "project API key"}
	var idx struct {
		Indexes []struct {
			Name               string `json:"name"`
			Dimension          int    `json:"dimension"`
			Host               string `json:"host"`
			DeletionProtection string `json:"deletion_protection"`
			Status             struct {
				State string `json:"state"`
			} `json:"status"`
		} `json:"indexes"`
	}
	_, err := analyze.GetJSON(ctx, c, req, call("/indexes"), &idx)
	switch {
	case err == nil:
	case analyze.IsStatus(err, http.StatusUnauthorized):
		return nil, errors.New("pinecone: the key is not valid (401 from /indexes)")
	default:
		return nil, fmt.Errorf("pinecone: %s", verify.Scrub(err.Error(), req))
	}
	unprotected := 0
	for _, i := range idx.Indexes {
		perms := []string{"list"}
		if i.DeletionProtection != "enabled" {
			unprotected++
		}
		name := i.Name
		if i.Host != "" {
			name += " (" + i.Host + ")"
		}
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "index", Name: verify.Scrub(name, req), Permissions: perms})
	}

	var col struct {
		Collections []struct {
			Name        string `json:"name"`
			Status      string `json:"status"`
			VectorCount int64  `json:"vector_count"`
		} `json:"collections"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, call("/collections"), &col); err != nil {
		rep.Partial = append(rep.Partial, "collections: "+verify.Scrub(err.Error(), req))
	}
	for _, cl := range col.Collections {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "collection", Name: verify.Scrub(cl.Name, req), Permissions: []string{"list"}})
	}

	switch {
	case len(idx.Indexes) == 0 && len(col.Collections) == 0:
		rep.Severity = analyze.SeverityInfo
		rep.Worst = "reaches a Pinecone project with no indexes or collections"
	default:
		rep.Severity = analyze.SeverityRead
		parts := []string{fmt.Sprintf("%d indexes", len(idx.Indexes))}
		if len(col.Collections) > 0 {
			parts = append(parts, fmt.Sprintf("%d collections", len(col.Collections)))
		}
		rep.Worst = "reaches " + strings.Join(parts, " and ") + " of a Pinecone project"
		if unprotected > 0 {
			rep.Worst += fmt.Sprintf("; %d indexes have no deletion protection (a key with the default role can read, write and delete them)", unprotected)
		}
	}
	rep.Sort()
	return rep, nil
}
