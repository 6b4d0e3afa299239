package pypi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

// emptyUploadBy checks PyPI's token form (basic auth __token__:<token>) and
// that the request uploads nothing: the upload action, no file, no name.
func emptyUploadBy(tok string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		u, p, ok := r.BasicAuth()
		if !ok || u != "__token__" || p != tok {
			return false
		}
		if r.ParseMultipartForm(1<<20) != nil || r.MultipartForm.Value[":action"][0] != "file_upload" {
			return false
		}
		return len(r.MultipartForm.File) == 0 && r.MultipartForm.Value["name"] == nil
	}
}

func TestVerifier(t *testing.T) {
	const tok = "pypi-AgEIcHlwaS5vcmcCJGQ4ZjY0YTVmLTM0ZjQtNGIxZS1hNTQ1LTg3ZDk1Y2M5NmI0MgACKlszLCJhYWFhYWFhYS1iYmJiLWNjY2MtZGRkZC1lZWVlZWVlZWVlZWUiXQAABiA"
	vt.Run(t, Verifier{}, vt.Case{
		ID: "pypi", Secret: tok, Method: "POST", Path: "/legacy/", Authorized: emptyUploadBy(tok),
		LiveStatus: 400, ContentTypes: "text/html",
		LiveBody:   `<html><head><title>400 'metadata_version' is a required field.</title></head><body><h1>400 'metadata_version' is a required field.</h1></body></html>`,
		DeadStatus: 403,
		DeadBody:   `<html><head><title>403 Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.</title></head></html>`,
	})
}

// TestOther400IsNotLive: a 400 that does not say the empty form lacks its
// metadata tells nothing of the token.
func TestOther400IsNotLive(t *testing.T) {
	s := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`<html><body><h1>400 Bad Request</h1>The request could not be understood.</body></html>`))
	})
	if res := s.Client("pypi", 2*time.Second).Verify(context.Background(), Verifier{}, verify.Request{Secret: "pypi-AgEIcHlwaS5vcmcCJGE4ZjM1ZDQ0LTg5ZTEtNDY1Ny1iM2M4LTVhN2I5ZjUxMmQxNwACKlszLCJkMjk2In0AAAYgX2ExZmI0OTctMzM"}); res.Status == verify.Live {
		t.Fatalf("%+v", res)
	}
}
