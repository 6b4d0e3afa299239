// Package pypi verifies PyPI API tokens (pypi-...). PyPI has no read-only
// endpoint that takes a token, so the verifier asks the upload endpoint to
// upload nothing: a form with the upload action and no metadata and no
// file. PyPI checks the credential first (403 "Invalid or non-existent
// authentication information" when it is not valid) and only then the
// form (400 for the missing metadata). Nothing is uploaded or changed.
package pypi

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// Verifier checks PyPI upload tokens.
type Verifier struct{}

// ID implements verify.Verifier.
func (Verifier) ID() string { return "pypi" }

// Companions implements verify.Verifier.
func (Verifier) Companions() []string { return nil }

// emptyUpload is the multipart form of an upload with nothing in it.
func emptyUpload() (body, contentType string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField(":action", "file_upload")
	_ = w.WriteField("protocol_version", "1")
	_ = w.Close()
	return b.String(), w.FormDataContentType()
}

// Verify implements verify.Verifier.
func (v Verifier) Verify(ctx context.Context, c *verify.Client, req verify.Request) verify.Result {
	body, ct := emptyUpload()
	resp, fail := c.Send(ctx, req, verify.Call{
		Verifier: v.ID(), Official: "https://upload.pypi.org", Method: http.MethodPost, Path: "/legacy/",
		Header: map[string]string{"Content-Type": ct}, Body: body,
		BasicUser: "__token__", BasicPass: req.Secret,
	})
	if fail != nil {
		return *fail
	}
	text := strings.ToLower(string(resp.Body))
	authFailed := strings.Contains(text, "invalid or non-existent authentication") || strings.Contains(text, "invalid api token")
	switch {
	case resp.Status == http.StatusForbidden && authFailed:
		return verify.Result{Status: verify.Dead, Reason: "PyPI: invalid or non-existent authentication information (403)"}
	case resp.Status == http.StatusBadRequest && !authFailed && strings.Contains(text, "metadata_version"):
		// The credential was accepted and the empty form was refused for
		// what it lacks ("'metadata_version' is a required field"): any
		// other 400 says nothing of the token.
		return verify.Result{Status: verify.Live, Kind: "API token (upload)"}
	}
	return verify.StatusResult(resp, req)
}
