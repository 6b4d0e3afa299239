package gcp

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

const fakeToken = "ya29.c.b0AXv0zTOLDbZ5mQ2f9example"

// gcpFake answers as Google's token endpoint, IAM and Cloud Resource
// Manager do. testIAM answers testIamPermissions (nil: grant what is in
// grant); the token endpoint checks the JWT's signature.
type gcpFake struct {
	key       *rsa.PrivateKey
	grant     []string
	saStatus  int
	testCalls atomic.Int64
	testIAM   func(n int64, asked []string) (int, string)
}

func (f *gcpFake) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		if r.URL.Path == "/token" {
			if r.Method != http.MethodPost || !f.validJWT(r) {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`)
				return
			}
			fmt.Fprintf(w, `{"access_token":"%s","expires_in":3599,"token_type":"Bearer"}`, fakeToken)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+fakeToken {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`)
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/projects/-/serviceAccounts/"+email:
			if f.saStatus != 0 {
				w.WriteHeader(f.saStatus)
				fmt.Fprintf(w, `{"error":{"code":%d,"message":"Permission 'iam.serviceAccounts.get' denied","status":"PERMISSION_DENIED"}}`, f.saStatus)
				return
			}
			fmt.Fprintf(w, `{"name":"projects/acme-prod-3141/serviceAccounts/%s","projectId":"acme-prod-3141","uniqueId":"113948692397867021414","email":"%s","displayName":"CI deployer","etag":"BwUp3rVlzes=","oauth2ClientId":"113948692397867021414"}`, email, email)
		case r.Method == http.MethodPost && r.URL.Path == "/v1/projects/acme-prod-3141:testIamPermissions":
			body, _ := io.ReadAll(r.Body)
			var in struct {
				Permissions []string `json:"permissions"`
			}
			if json.Unmarshal(body, &in) != nil || len(in.Permissions) == 0 || len(in.Permissions) > 100 {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			n := f.testCalls.Add(1)
			if f.testIAM != nil {
				status, text := f.testIAM(n, in.Permissions)
				if status == http.StatusTooManyRequests {
					w.Header().Set("Retry-After", "1")
				}
				w.WriteHeader(status)
				fmt.Fprint(w, text)
				return
			}
			var out []string
			for _, p := range in.Permissions {
				for _, g := range f.grant {
					if p == g {
						out = append(out, p)
					}
				}
			}
			if len(out) == 0 {
				fmt.Fprint(w, `{}`) // an empty answer has no permissions field
				return
			}
			b, _ := json.Marshal(map[string][]string{"permissions": out})
			w.Write(b)
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
		}
	}
}

func (f *gcpFake) validJWT(r *http.Request) bool {
	if r.ParseForm() != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		return false
	}
	parts := strings.Split(r.PostForm.Get("assertion"), ".")
	if len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	return rsa.VerifyPKCS1v15(&f.key.PublicKey, crypto.SHA256, sum[:], sig) == nil
}

func newKey(t *testing.T) (*rsa.PrivateKey, string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	return key, strings.ReplaceAll(pemText, "\n", `\n`)
}

func analyzeWith(t *testing.T, f *gcpFake, req verify.Request) (*analyze.Report, error) {
	t.Helper()
	s := vt.NewServer(t, f.handler(t))
	return Analyzer{}.Analyze(context.Background(), s.Client("gcp-service-account", 5*time.Second), req)
}

func TestAnalyzePermissions(t *testing.T) {
	key, secret := newKey(t)
	f := &gcpFake{key: key, grant: []string{"storage.objects.get", "iam.serviceAccountKeys.create", "storage.objects.create", "not.asked"}}
	rep, err := analyzeWith(t, f, verify.Request{Secret: secret, Parts: map[string]string{EmailRule: email}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != email+" (CI deployer)" || rep.Kind != "service account key" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	want := "[{project acme-prod-3141 [iam.serviceAccountKeys.create storage.objects.create storage.objects.get]}]"
	if fmt.Sprint(rep.Resources) != want {
		t.Errorf("resources %v", rep.Resources)
	}
	if rep.Severity != analyze.SeverityAdmin || rep.Worst != "iam.serviceAccountKeys.create on project acme-prod-3141 (and 2 more sensitive permissions)" {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
	if len(rep.Partial) != 0 {
		t.Errorf("partial %v", rep.Partial)
	}
}

func TestAnalyzeKeyFileNoPermissions(t *testing.T) {
	key, secret := newKey(t)
	file := `{"type":"service_account","project_id":"acme-prod-3141","private_key_id":"1f2e","private_key":"` + secret +
		`","client_email":"` + email + `","token_uri":"https://oauth2.googleapis.com/token"}`
	rep, err := analyzeWith(t, &gcpFake{key: key}, verify.Request{Secret: file})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Severity != analyze.SeverityInfo || !strings.HasPrefix(rep.Worst, "none of 24 sensitive permissions on project acme-prod-3141") {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	key, secret := newKey(t)
	f := &gcpFake{key: key, saStatus: http.StatusForbidden, testIAM: func(n int64, asked []string) (int, string) {
		if n == 1 {
			return 429, `{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}`
		}
		return 200, `{"permissions":["storage.buckets.list"]}`
	}}
	rep, err := analyzeWith(t, f, verify.Request{Secret: secret, Parts: map[string]string{EmailRule: email}})
	if err != nil {
		t.Fatal(err)
	}
	if f.testCalls.Load() != 2 || rep.Severity != analyze.SeverityRead || rep.Worst != "storage.buckets.list on project acme-prod-3141" {
		t.Errorf("%d calls, %+v", f.testCalls.Load(), rep)
	}
	if len(rep.Partial) != 1 || rep.Partial[0] != "iam serviceAccounts.get: HTTP 403" || rep.Identity != email {
		t.Errorf("partial %v identity %q", rep.Partial, rep.Identity)
	}

	// testIamPermissions failing: the report says so, nothing is invented.
	f = &gcpFake{key: key, testIAM: func(int64, []string) (int, string) {
		return 500, `{"error":{"code":500,"message":"Internal error","status":"INTERNAL"}}`
	}}
	rep, err = analyzeWith(t, f, verify.Request{Secret: secret, Parts: map[string]string{EmailRule: email}})
	if err != nil || len(rep.Resources) != 0 || !strings.Contains(strings.Join(rep.Partial, "|"), "testIamPermissions on acme-prod-3141") {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestAnalyzeRevokedKey(t *testing.T) {
	_, secret := newKey(t)
	other, _ := newKey(t)
	// The fake knows another key: the signature does not verify, as for a
	// deleted key.
	rep, err := analyzeWith(t, &gcpFake{key: other}, verify.Request{Secret: secret, Parts: map[string]string{EmailRule: email}})
	if err == nil || rep != nil || !strings.Contains(err.Error(), "invalid_grant") || strings.Contains(err.Error(), secret) {
		t.Fatalf("%+v %v", rep, err)
	}
}
