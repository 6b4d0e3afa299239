package azure

import (
	"encoding/base64"
	"net/http"
	"testing"

	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

func TestVerifier(t *testing.T) {
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"))
	const account = "acmeprod"
	validSharedKey := func(r *http.Request) bool {
		raw, _ := base64.StdEncoding.DecodeString(key)
		want := "SharedKey " + account + ":" + Sign(raw, account, r.Header.Get("x-ms-date"))
		return r.URL.Query().Get("comp") == "list" && r.Header.Get("Authorization") == want && r.Header.Get("x-ms-version") == apiVersion
	}
	vt.Run(t, Verifier{}, vt.Case{
		ID: "azure-storage", Secret: key, Parts: map[string]string{AccountRule: account},
		Path: "/", Authorized: validSharedKey, ContentTypes: "application/xml",
		LiveBody:   `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://acmeprod.blob.core.windows.net/"><Containers><Container><Name>backups</Name></Container></Containers><NextMarker /></EnumerationResults>`,
		Identity:   "storage account acmeprod",
		DeadStatus: 403, DeadBody: `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message></Error>`,
	})
}
