package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// The official API hosts the analyzer calls with the token. A base URL
// configured for "gcp-service-account" replaces every one of them.
const (
	tokenOfficial = "https://oauth2.googleapis.com"
	crmOfficial   = "https://cloudresourcemanager.googleapis.com"
	iamOfficial   = "https://iam.googleapis.com"
)

// sensitivePermissions is the fixed list asked of testIamPermissions, by
// what a holder can do with each: take over the project, act as another
// identity, change data, or read it.
var sensitivePermissions = map[string]analyze.Severity{
	"resourcemanager.projects.setIamPolicy":   analyze.SeverityAdmin,
	"resourcemanager.projects.delete":         analyze.SeverityAdmin,
	"iam.serviceAccountKeys.create":           analyze.SeverityAdmin,
	"iam.serviceAccounts.getAccessToken":      analyze.SeverityAdmin,
	"iam.serviceAccounts.actAs":               analyze.SeverityAdmin,
	"iam.roles.create":                        analyze.SeverityAdmin,
	"resourcemanager.projects.getIamPolicy":   analyze.SeverityRead,
	"compute.instances.create":                analyze.SeverityWrite,
	"compute.instances.setMetadata":           analyze.SeverityWrite,
	"compute.instances.list":                  analyze.SeverityRead,
	"container.clusters.get":                  analyze.SeverityRead,
	"cloudfunctions.functions.create":         analyze.SeverityWrite,
	"run.services.create":                     analyze.SeverityWrite,
	"storage.buckets.list":                    analyze.SeverityRead,
	"storage.objects.get":                     analyze.SeverityRead,
	"storage.objects.create":                  analyze.SeverityWrite,
	"storage.objects.delete":                  analyze.SeverityWrite,
	"secretmanager.secrets.list":              analyze.SeverityRead,
	"secretmanager.versions.access":           analyze.SeverityRead,
	"cloudkms.cryptoKeyVersions.useToDecrypt": analyze.SeverityRead,
	"cloudsql.instances.list":                 analyze.SeverityRead,
	"bigquery.tables.getData":                 analyze.SeverityRead,
	"pubsub.topics.publish":                   analyze.SeverityWrite,
	"logging.logEntries.list":                 analyze.SeverityRead,
}

// Analyzer maps what a service-account key reaches: it exchanges the key
// for a token as the verifier does, reads the account's own entry
// (iam.projects.serviceAccounts.get) and asks the key file's project which
// of a fixed list of sensitive permissions the account holds
// (cloudresourcemanager projects.testIamPermissions, which needs no
// permission and changes nothing).
//
// Docs: https://developers.google.com/identity/protocols/oauth2/service-account#httprest
// https://cloud.google.com/resource-manager/reference/rest/v1/projects/testIamPermissions
// https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/get
type Analyzer struct {
	// Now is the clock for the JWT; tests may fix it.
	Now func() time.Time
}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "gcp-service-account" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	secret, email, tokenURI, project := req.Secret, req.Parts[EmailRule], req.Parts[TokenURIRule], ""
	if strings.HasPrefix(strings.TrimSpace(secret), "{") {
		var f struct {
			keyFile
			ProjectID string `json:"project_id"`
		}
		if err := json.Unmarshal([]byte(secret), &f); err != nil || f.PrivateKey == "" {
			return nil, errors.New("not a service-account key file")
		}
		secret, email, project = f.PrivateKey, f.ClientEmail, f.ProjectID
		if f.TokenURI != "" {
			tokenURI = f.TokenURI
		}
	}
	if tokenURI != "" && strings.TrimSuffix(tokenURI, "/") != officialTokenURI {
		return nil, errors.New("the key file's token_uri is not Google's oauth2.googleapis.com: not sent")
	}
	if email == "" {
		return nil, errors.New("no client_email found near the key")
	}
	if project == "" {
		project = projectOf(email)
	}
	key, err := ParseKey(secret)
	if err != nil {
		return nil, fmt.Errorf("the key does not parse: %w", err)
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	base, err := c.BaseURL(a.ID(), tokenOfficial)
	if err != nil {
		return nil, err
	}
	assertion, err := signJWT(key, email, base+"/token", now())
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}.Encode()
	var tok struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	resp, fail := c.Send(ctx, req, verify.Call{Verifier: a.ID(), Official: tokenOfficial, Method: http.MethodPost, Path: "/token",
		Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, Body: form})
	if fail != nil {
		return nil, errors.New(fail.Reason)
	}
	_ = json.Unmarshal(resp.Body, &tok)
	if resp.Status != http.StatusOK || tok.AccessToken == "" {
		msg := fmt.Sprintf("Google token endpoint answered HTTP %d", resp.Status)
		if tok.Error != "" {
			msg += ": " + tok.Error + ": " + tok.Description
		}
		return nil, errors.New(verify.Scrub(msg, req))
	}
	// The token is a secret too: every text built from answers is scrubbed
	// of it as well.
	scrub := verify.Request{Secret: req.Secret, Parts: map[string]string{"token": tok.AccessToken}}
	for k, v := range req.Parts {
		scrub.Parts[k] = v
	}
	auth := map[string]string{"Authorization": "Bearer " + tok.AccessToken}

	rep := &analyze.Report{Analyzer: a.ID(), Identity: email, Kind: "service account key"}
	var sa struct {
		DisplayName string `json:"displayName"`
		ProjectID   string `json:"projectId"`
		Disabled    bool   `json:"disabled"`
	}
	if _, err := analyze.GetJSON(ctx, c, scrub, verify.Call{Verifier: a.ID(), Official: iamOfficial,
		Path: "/v1/projects/-/serviceAccounts/" + url.PathEscape(email), Header: auth}, &sa); err != nil {
		rep.Partial = append(rep.Partial, "iam serviceAccounts.get: "+short(err))
	} else {
		if sa.DisplayName != "" {
			rep.Identity = email + " (" + sa.DisplayName + ")"
		}
		if project == "" {
			project = sa.ProjectID
		}
		if sa.Disabled {
			rep.Kind = "service account key (account disabled)"
		}
	}
	if project == "" {
		rep.Partial = append(rep.Partial, "no project id in the key file or the account's e-mail: permissions not tested")
		rep.Worst = "service account " + email + " (project unknown)"
		return finish(rep, scrub), nil
	}

	asked := make([]string, 0, len(sensitivePermissions))
	for p := range sensitivePermissions {
		asked = append(asked, p)
	}
	sort.Strings(asked)
	body, _ := json.Marshal(map[string][]string{"permissions": asked})
	var granted struct {
		Permissions []string `json:"permissions"`
	}
	h := map[string]string{"Authorization": auth["Authorization"], "Content-Type": "application/json"}
	if _, err := analyze.GetJSON(ctx, c, scrub, verify.Call{Verifier: a.ID(), Official: crmOfficial, Method: http.MethodPost,
		Path: "/v1/projects/" + url.PathEscape(project) + ":testIamPermissions", Header: h, Body: string(body)}, &granted); err != nil {
		rep.Partial = append(rep.Partial, "projects.testIamPermissions on "+project+": "+short(err))
		rep.Worst = "service account " + email + " of project " + project + " (its permissions could not be tested)"
		return finish(rep, scrub), nil
	}
	rep.Resources = append(rep.Resources, analyze.Resource{Kind: "project", Name: project, Permissions: granted.Permissions})
	rep.Severity, rep.Worst = judgeGranted(granted.Permissions, project)
	return finish(rep, scrub), nil
}

func finish(rep *analyze.Report, scrub verify.Request) *analyze.Report {
	for i, p := range rep.Partial {
		rep.Partial[i] = verify.Scrub(p, scrub)
	}
	rep.Identity = verify.Scrub(rep.Identity, verify.Request{Secret: scrub.Secret, Parts: map[string]string{"token": scrub.Parts["token"]}})
	rep.Sort()
	return rep
}

// judgeGranted ranks the granted permissions and names the worst ones.
func judgeGranted(granted []string, project string) (analyze.Severity, string) {
	sev := analyze.SeverityInfo
	for _, p := range granted {
		if s, ok := sensitivePermissions[p]; ok && s > sev {
			sev = s
		}
	}
	if len(granted) == 0 {
		return analyze.SeverityInfo, "none of " + fmt.Sprint(len(sensitivePermissions)) + " sensitive permissions on project " + project
	}
	var worst []string
	for _, p := range granted {
		if sensitivePermissions[p] == sev {
			worst = append(worst, p)
		}
	}
	sort.Strings(worst)
	line := strings.Join(worst, ", ") + " on project " + project
	if more := len(granted) - len(worst); more > 0 {
		line += fmt.Sprintf(" (and %d more sensitive %s)", more, map[bool]string{true: "permission", false: "permissions"}[more == 1])
	}
	return sev, line
}

// projectOf reads the project id from a service account's e-mail
// (name@project.iam.gserviceaccount.com, project@appspot.gserviceaccount.com).
func projectOf(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok {
		return ""
	}
	if p, ok := strings.CutSuffix(domain, ".iam.gserviceaccount.com"); ok {
		return p
	}
	if domain == "appspot.gserviceaccount.com" {
		return local
	}
	return ""
}

// short says how a call failed without its path (which names the account).
func short(err error) string {
	var se *analyze.StatusError
	if errors.As(err, &se) {
		return fmt.Sprintf("HTTP %d", se.Status)
	}
	return err.Error()
}
