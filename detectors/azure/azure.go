// Package azure verifies Azure storage account keys with a SharedKey-signed
// List Containers request (read-only) against the account's blob endpoint.
package azure

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// AccountRule is the companion rule: the AccountName of the connection
// string.
const AccountRule = "azure-storage-account-name"

const apiVersion = "2021-08-06"

// accountName is compiled on first use, not at every start.
var accountName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]{3,24}$`) })

// Verifier checks storage account keys.
type Verifier struct {
	// Now is the request clock; tests may fix it.
	Now func() time.Time
}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "azure-storage" }

// Companions implements verify.Verifier.
func (Verifier) Companions() []string { return []string{AccountRule} }

// Verify implements verify.Verifier. The host is the documented
// <account>.blob.core.windows.net; the account name must be a valid one.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	account := req.Parts[AccountRule]
	if !accountName().MatchString(account) {
		return verify.Result{Status: verify.Unknown, Reason: "no valid AccountName found near the key"}
	}
	key, err := base64.StdEncoding.DecodeString(req.Secret)
	if err != nil {
		return verify.Result{Status: verify.Unknown, Reason: "key is not base64"}
	}
	base, err := c.BaseURL(v.ID(), "https://"+account+".blob.core.windows.net")
	if err != nil {
		return verify.Result{Status: verify.Unknown, Reason: err.Error()}
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	resp, err := c.Do(ctx, v.ID(), func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/?comp=list&maxresults=1", nil)
		if err != nil {
			return nil, err
		}
		date := now().UTC().Format(http.TimeFormat)
		r.Header.Set("x-ms-date", date)
		r.Header.Set("x-ms-version", apiVersion)
		r.Header.Set("Authorization", "SharedKey "+account+":"+Sign(key, account, date))
		return r, nil
	})
	if err != nil {
		return verify.ErrorResult(err, req)
	}
	switch {
	case resp.Status == http.StatusOK && strings.Contains(string(resp.Body), "EnumerationResults"):
		return verify.Result{Status: verify.Live, Identity: "storage account " + account, Kind: "account key (full access)"}
	case resp.Status == http.StatusForbidden && strings.Contains(string(resp.Body), "AuthenticationFailed"):
		return verify.Result{Status: verify.Dead, Reason: "Azure: AuthenticationFailed"}
	}
	return verify.StatusResult(resp, req)
}

// Sign computes the SharedKey signature of the List Containers request.
func Sign(key []byte, account, date string) string {
	toSign := strings.Join([]string{
		"GET", "", "", "", "", "", "", "", "", "", "", "",
		"x-ms-date:" + date + "\nx-ms-version:" + apiVersion,
		"/" + account + "/\ncomp:list\nmaxresults:1",
	}, "\n")
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
