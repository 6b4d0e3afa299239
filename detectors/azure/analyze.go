package azure

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
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

// pageSize is the maxresults asked of List Containers (its maximum is
// 5000).
const pageSize = "100"

// Analyzer maps what an Azure storage credential reaches. An account key
// (with its AccountName companion) is full control of the account: the
// analyzer lists its blob containers (List Containers, read-only, signed
// with SharedKey as the verifier does), following NextMarker up to
// analyze.MaxPages pages. A SAS token is decoded offline (its ss, srt, sp,
// se fields say what it grants and until when) and never sent.
//
// Docs: https://learn.microsoft.com/rest/api/storageservices/list-containers2
// https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key
// https://learn.microsoft.com/rest/api/storageservices/create-account-sas
type Analyzer struct {
	// Now is the request clock; tests may fix it.
	Now func() time.Time
}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "azure-storage" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	if strings.Contains(req.Secret, "sig=") && strings.Contains(req.Secret, "sv=") {
		return a.sas(req)
	}
	account := req.Parts[AccountRule]
	if !accountName().MatchString(account) {
		return nil, errors.New("no valid AccountName found near the key")
	}
	key, err := base64.StdEncoding.DecodeString(req.Secret)
	if err != nil {
		return nil, errors.New("the key is not base64")
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	rep := &analyze.Report{Analyzer: a.ID(), Identity: "storage account " + account, Kind: "account key (full access)"}
	var containers []analyze.Resource
	marker := ""
	for page := 0; ; page++ {
		if page == analyze.MaxPages {
			rep.Partial = append(rep.Partial, fmt.Sprintf("List Containers: stopped after %d pages", analyze.MaxPages))
			break
		}
		params := url.Values{"comp": {"list"}, "maxresults": {pageSize}}
		if marker != "" {
			params.Set("marker", marker)
		}
		date := now().UTC().Format(http.TimeFormat)
		resp, fail := c.Send(ctx, req, verify.Call{Verifier: a.ID(), Official: "https://" + account + ".blob.core.windows.net",
			Path: "/?" + params.Encode(),
			Header: map[string]string{"x-ms-date": date, "x-ms-version": apiVersion,
				"Authorization": "SharedKey " + account + ":" + signQuery(key, account, date, params)}})
		if fail != nil {
			if page == 0 {
				return nil, errors.New(fail.Reason)
			}
			rep.Partial = append(rep.Partial, "List Containers: "+fail.Reason)
			break
		}
		if resp.Status != http.StatusOK {
			code := errorCode(resp.Body)
			if page == 0 && (resp.Status == http.StatusForbidden && code == "AuthenticationFailed" || resp.Status == http.StatusUnauthorized) {
				return nil, fmt.Errorf("Azure rejected the account key (%d %s)", resp.Status, code)
			}
			if page == 0 && resp.Status != http.StatusForbidden && resp.Status < 500 {
				return nil, fmt.Errorf("List Containers answered HTTP %d %s", resp.Status, code)
			}
			rep.Partial = append(rep.Partial, verify.Scrub(fmt.Sprintf("List Containers: HTTP %d %s", resp.Status, code), req))
			break
		}
		var er struct {
			Containers []struct {
				Name         string `xml:"Name"`
				PublicAccess string `xml:"Properties>PublicAccess"`
			} `xml:"Containers>Container"`
			NextMarker string `xml:"NextMarker"`
		}
		if err := xml.Unmarshal(resp.Body, &er); err != nil {
			if page == 0 {
				return nil, errors.New("List Containers: the answer is not the documented XML")
			}
			rep.Partial = append(rep.Partial, "List Containers: the answer is not the documented XML")
			break
		}
		for _, ct := range er.Containers {
			perms := []string{"read", "write", "delete", "list"}
			if ct.PublicAccess != "" {
				perms = append(perms, "public access: "+ct.PublicAccess)
			}
			containers = append(containers, analyze.Resource{Kind: "container", Name: account + "/" + ct.Name, Permissions: perms})
		}
		if er.NextMarker == "" {
			break
		}
		marker = er.NextMarker
	}
	rep.Resources = append(rep.Resources, analyze.Resource{Kind: "storage account", Name: account, Permissions: []string{"account key: blobs, files, queues, tables; can sign SAS tokens"}})
	rep.Resources = append(rep.Resources, containers...)
	rep.Severity = analyze.SeverityAdmin
	rep.Worst = fmt.Sprintf("full control of storage account %s: %d blob %s, and its files, queues and tables; can sign SAS tokens", account, len(containers), plural(len(containers), "container", "containers"))
	rep.Sort()
	return rep, nil
}

// signQuery computes the SharedKey signature of a GET on the account's
// root with query parameters (the canonicalized resource lists them sorted,
// one per line, as "name:value").
func signQuery(key []byte, account, date string, params url.Values) string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	resource := "/" + account + "/"
	for _, n := range names {
		resource += "\n" + strings.ToLower(n) + ":" + strings.Join(params[n], ",")
	}
	toSign := strings.Join([]string{
		"GET", "", "", "", "", "", "", "", "", "", "", "",
		"x-ms-date:" + date + "\nx-ms-version:" + apiVersion,
		resource,
	}, "\n")
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func errorCode(body []byte) string {
	var e struct {
		Code string `xml:"Code"`
	}
	_ = xml.Unmarshal(body, &e)
	return e.Code
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

var (
	sasServices  = map[byte]string{'b': "blob", 'f': "file", 'q': "queue", 't': "table"}
	sasResources = map[byte]string{'s': "service", 'c': "container", 'o': "object"}
	sasPerms     = map[byte]string{'r': "read", 'w': "write", 'd': "delete", 'x': "delete version", 'y': "permanent delete",
		'l': "list", 'a': "add", 'c': "create", 'u': "update", 'p': "process", 't': "tag", 'f': "filter", 'i': "set immutability policy",
		'm': "move", 'e': "execute", 'o': "ownership", 's': "permissions"}
	sasSignedResource = map[string]string{"b": "blob", "c": "container", "bv": "blob version", "bs": "blob snapshot", "d": "directory", "f": "file", "s": "share"}
)

// sas decodes what a SAS token grants, offline: a SAS is a bearer
// credential for a host it does not name, so nothing is sent.
func (a Analyzer) sas(req verify.Request) (*analyze.Report, error) {
	q := req.Secret
	if i := strings.IndexByte(q, '?'); i >= 0 {
		q = q[i+1:]
	}
	v, err := url.ParseQuery(q)
	if err != nil || v.Get("sig") == "" || v.Get("sp") == "" {
		return nil, errors.New("not a SAS token (no sp or sig field)")
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "service SAS"}
	var perms []string
	write := false
	for i := 0; i < len(v.Get("sp")); i++ {
		ch := v.Get("sp")[i]
		if p, ok := sasPerms[ch]; ok {
			perms = append(perms, p)
			if ch != 'r' && ch != 'l' && ch != 'f' {
				write = true
			}
		}
	}
	var scope []string
	if ss := v.Get("ss"); ss != "" {
		rep.Kind = "account SAS"
		for i := 0; i < len(ss); i++ {
			if s, ok := sasServices[ss[i]]; ok {
				scope = append(scope, s)
			}
		}
		var types []string
		for i := 0; i < len(v.Get("srt")); i++ {
			if s, ok := sasResources[v.Get("srt")[i]]; ok {
				types = append(types, s)
			}
		}
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "services", Name: strings.Join(scope, ", ") + " (" + strings.Join(types, ", ") + " level)", Permissions: perms})
	} else {
		kind := sasSignedResource[v.Get("sr")]
		if kind == "" {
			kind = "resource"
		}
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: kind, Name: "the " + kind + " the token was issued for", Permissions: perms})
	}
	expiry := v.Get("se")
	rep.Identity = "SAS token"
	if expiry != "" {
		rep.Identity += " expiring " + expiry
		if t, err := time.Parse(time.RFC3339, expiry); err == nil && t.Before(time.Now()) {
			rep.Kind += " (expired)"
		}
	}
	rep.Severity = analyze.SeverityRead
	if write {
		rep.Severity = analyze.SeverityWrite
	}
	rep.Worst = rep.Kind + " granting " + strings.Join(perms, ", ")
	if len(scope) > 0 {
		rep.Worst += " on " + strings.Join(scope, ", ")
	}
	rep.Partial = append(rep.Partial, "decoded offline: a SAS names no account, so it was not sent")
	for i := range rep.Resources {
		rep.Resources[i].Name = verify.Scrub(rep.Resources[i].Name, req)
	}
	rep.Sort()
	return rep, nil
}
