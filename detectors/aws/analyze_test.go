package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var authShape = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{20})/(\d{8})/us-east-1/([a-z0-9]+)/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$`)

// signedService checks a request's SigV4 Authorization header the way AWS
// does: its shape (credential scope in us-east-1), then the signature, by
// signing the same request again with the secret the fake knows. It
// returns the service the request was signed for.
func signedService(r *http.Request, body []byte) (string, bool) {
	m := authShape.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil || m[1] != keyID {
		return "", false
	}
	service := m[3]
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "", false
	}
	clone, _ := http.NewRequest(r.Method, "https://"+r.Host+r.URL.RequestURI(), strings.NewReader(string(body)))
	for _, h := range strings.Split(m[4], ";") {
		if h != "host" && h != "x-amz-date" {
			clone.Header.Set(h, r.Header.Get(h))
		}
	}
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, clone, hex.EncodeToString(sum[:]), service, "us-east-1", when)
	return service, err == nil && clone.Header.Get("Authorization") == r.Header.Get("Authorization")
}

// fakeAWS answers as STS, IAM, S3, EC2 and Lambda do. An operation's
// answer is looked up by "service:Action" (or "s3:ListBuckets",
// "lambda:ListFunctions"); a missing one is AccessDenied.
type fakeAWS struct {
	mu      sync.Mutex
	hits    map[string]int
	answers map[string]func(n int, form url.Values) (int, string)
	arn     string
}

func (f *fakeAWS) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		service, ok := signedService(r, body)
		if !ok {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error></ErrorResponse>`)
			return
		}
		form, _ := url.ParseQuery(string(body))
		op := service + ":" + form.Get("Action")
		switch {
		case service == "s3" && r.Method == http.MethodGet && r.URL.Path == "/":
			op = "s3:ListBuckets"
		case service == "lambda" && r.Method == http.MethodGet && r.URL.Path == "/2015-03-31/functions/":
			op = "lambda:ListFunctions"
		case r.Method != http.MethodPost || r.URL.Path != "/" || form.Get("Version") == "":
			t.Errorf("unexpected request %s %s (%s)", r.Method, r.URL, service)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.hits[op]++
		n := f.hits[op]
		answer := f.answers[op]
		f.mu.Unlock()
		if op == "sts:GetCallerIdentity" && answer == nil {
			answer = func(int, url.Values) (int, string) { return 200, callerXML(f.arn) }
		}
		if answer == nil {
			if service == "lambda" {
				w.Header().Set("X-Amzn-Errortype", "AccessDeniedException:")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{"Message":"User is not authorized to perform: lambda:ListFunctions"}`)
				return
			}
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: %s is not authorized to perform: %s</Message></Error></ErrorResponse>`, f.arn, op)
			return
		}
		status, text := answer(n, form)
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(status)
		fmt.Fprint(w, text)
	}
}

func (f *fakeAWS) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[op]
}

func callerXML(arn string) string {
	account := strings.SplitN(arn, ":", 6)[4]
	return `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult><Arn>` + arn + `</Arn><UserId>AIDACKCEVSQ6C2EXAMPLE</UserId><Account>` + account + `</Account></GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`
}

func attachedXML(action string, truncated bool, marker string, policies ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<%sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><%sResult><AttachedPolicies>`, action, action)
	for _, p := range policies {
		fmt.Fprintf(&b, `<member><PolicyName>%s</PolicyName><PolicyArn>arn:aws:iam::aws:policy/%s</PolicyArn></member>`, p, p)
	}
	fmt.Fprintf(&b, `</AttachedPolicies><IsTruncated>%t</IsTruncated>`, truncated)
	if marker != "" {
		fmt.Fprintf(&b, `<Marker>%s</Marker>`, marker)
	}
	fmt.Fprintf(&b, `</%sResult><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></%sResponse>`, action, action)
	return b.String()
}

func namesXML(action string, names ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<%sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><%sResult><PolicyNames>`, action, action)
	for _, n := range names {
		fmt.Fprintf(&b, `<member>%s</member>`, n)
	}
	fmt.Fprintf(&b, `</PolicyNames><IsTruncated>false</IsTruncated></%sResult></%sResponse>`, action, action)
	return b.String()
}

const groupsXML = `<ListGroupsForUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <ListGroupsForUserResult>
    <Groups>
      <member><Path>/</Path><GroupName>Auditors</GroupName><GroupId>AGPACKCEVSQ6C2EXAMPLE</GroupId><Arn>arn:aws:iam::123456789012:group/Auditors</Arn><CreateDate>2012-05-09T15:45:35Z</CreateDate></member>
    </Groups>
    <IsTruncated>false</IsTruncated>
  </ListGroupsForUserResult>
</ListGroupsForUserResponse>`

func ok(body string) func(int, url.Values) (int, string) {
	return func(int, url.Values) (int, string) { return 200, body }
}

func userFake() *fakeAWS {
	return &fakeAWS{hits: map[string]int{}, arn: "arn:aws:iam::123456789012:user/deployer", answers: map[string]func(int, url.Values) (int, string){
		"iam:ListAttachedUserPolicies": func(n int, form url.Values) (int, string) {
			if form.Get("UserName") != "deployer" {
				return 404, `<ErrorResponse><Error><Code>NoSuchEntity</Code></Error></ErrorResponse>`
			}
			if form.Get("Marker") == "" {
				return 200, attachedXML("ListAttachedUserPolicies", true, "page2", "AmazonS3ReadOnlyAccess")
			}
			return 200, attachedXML("ListAttachedUserPolicies", false, "", "AdministratorAccess")
		},
		"iam:ListUserPolicies":          ok(namesXML("ListUserPolicies", "ci-deploy")),
		"iam:ListGroupsForUser":         ok(groupsXML),
		"iam:ListAttachedGroupPolicies": ok(attachedXML("ListAttachedGroupPolicies", false, "", "SecurityAudit")),
		"iam:ListGroupPolicies":         ok(namesXML("ListGroupPolicies")),
	}}
}

func request() verify.Request {
	return verify.Request{RuleID: SecretRule, Secret: secret, Parts: map[string]string{KeyIDRule: keyID}}
}

func run(t *testing.T, f *fakeAWS, req verify.Request) (*analyze.Report, error) {
	t.Helper()
	s := vt.NewServer(t, f.handler(t))
	return Analyzer{}.Analyze(context.Background(), s.Client("aws", 5*time.Second), req)
}

func TestAnalyzeUserPolicies(t *testing.T) {
	f := userFake()
	rep, err := run(t, f, request())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identity != "arn:aws:iam::123456789012:user/deployer (account 123456789012)" || rep.Kind != "IAM user access key" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	want := []analyze.Resource{
		{Kind: "group", Name: "arn:aws:iam::123456789012:group/Auditors", Permissions: []string{"SecurityAudit", "member:Auditors"}},
		{Kind: "user", Name: "arn:aws:iam::123456789012:user/deployer", Permissions: []string{"AdministratorAccess", "AmazonS3ReadOnlyAccess", "inline:ci-deploy"}},
	}
	if fmt.Sprint(rep.Resources) != fmt.Sprint(want) {
		t.Errorf("resources %v\nwant %v", rep.Resources, want)
	}
	if rep.Worst != "AdministratorAccess on account 123456789012" || rep.Severity != analyze.SeverityAdmin {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
	if len(rep.Partial) != 0 {
		t.Errorf("partial %v", rep.Partial)
	}
	if f.count("iam:ListAttachedUserPolicies") != 2 || f.count("s3:ListBuckets") != 0 {
		t.Errorf("hits %v", f.hits)
	}
}

func TestAnalyzeListingStopsAtBound(t *testing.T) {
	f := userFake()
	f.answers["iam:ListAttachedUserPolicies"] = func(n int, form url.Values) (int, string) {
		return 200, attachedXML("ListAttachedUserPolicies", true, fmt.Sprintf("m%d", n), fmt.Sprintf("Custom%d", n))
	}
	rep, err := run(t, f, request())
	if err != nil {
		t.Fatal(err)
	}
	if n := f.count("iam:ListAttachedUserPolicies"); n != analyze.MaxPages {
		t.Errorf("%d pages asked, want %d", n, analyze.MaxPages)
	}
	if !strings.Contains(strings.Join(rep.Partial, "|"), "iam:ListAttachedUserPolicies: stopped after 20 pages") {
		t.Errorf("partial %v", rep.Partial)
	}
	if rep.Severity != analyze.SeverityRead || !strings.HasPrefix(rep.Worst, "22 IAM policies on account 123456789012") {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
}

func TestAnalyzeOneListingFails(t *testing.T) {
	f := userFake()
	f.answers["iam:ListGroupsForUser"] = func(int, url.Values) (int, string) {
		return 500, `<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code></Error></ErrorResponse>`
	}
	rep, err := run(t, f, request())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Partial) != 1 || rep.Partial[0] != "iam:ListGroupsForUser: ServiceFailure (HTTP 500)" {
		t.Errorf("partial %v", rep.Partial)
	}
	if rep.Severity != analyze.SeverityAdmin || rep.Count("user") != 1 || rep.Count("group") != 0 {
		t.Errorf("%+v", rep)
	}
}

func TestAnalyzeIAMDeniedProbes(t *testing.T) {
	f := &fakeAWS{hits: map[string]int{}, arn: "arn:aws:iam::123456789012:user/app", answers: map[string]func(int, url.Values) (int, string){
		"s3:ListBuckets": ok(`<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Owner><ID>bcaf1ffd86f461ca5fb16fd081034f</ID><DisplayName>webfile</DisplayName></Owner>
  <Buckets>
    <Bucket><Name>acme-logs</Name><CreationDate>2019-12-11T23:32:47+00:00</CreationDate></Bucket>
    <Bucket><Name>acme-backups</Name><CreationDate>2019-11-10T23:32:13+00:00</CreationDate></Bucket>
  </Buckets>
</ListAllMyBucketsResult>`),
		"lambda:ListFunctions": ok(`{"Functions":[{"FunctionName":"resize","FunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:resize","Runtime":"python3.12"}],"NextMarker":null}`),
	}}
	rep, err := run(t, f, request())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count("bucket") != 2 || rep.Count("function") != 1 || rep.Resources[0].Name != "arn:aws:s3:::acme-backups" || rep.Resources[0].Permissions[0] != "s3:ListAllMyBuckets" {
		t.Errorf("resources %v", rep.Resources)
	}
	partial := strings.Join(rep.Partial, "|")
	if !strings.Contains(partial, "iam:ListAttachedUserPolicies: AccessDenied (HTTP 403)") || !strings.Contains(partial, "ec2:DescribeRegions: AccessDenied") || strings.Contains(partial, "lambda") {
		t.Errorf("partial %v", rep.Partial)
	}
	if rep.Severity != analyze.SeverityRead || rep.Worst != "can list 2 S3 buckets, list 1 Lambda function in us-east-1 on account 123456789012 (its IAM policies could not be read)" {
		t.Errorf("worst %q severity %s", rep.Worst, rep.Severity)
	}
}

func TestAnalyzeRateLimitedThenAnswers(t *testing.T) {
	f := userFake()
	f.answers["sts:GetCallerIdentity"] = func(n int, _ url.Values) (int, string) {
		if n == 1 {
			return 429, `<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>`
		}
		return 200, callerXML(f.arn)
	}
	rep, err := run(t, f, request())
	if err != nil {
		t.Fatal(err)
	}
	if f.count("sts:GetCallerIdentity") != 2 || rep.Severity != analyze.SeverityAdmin {
		t.Errorf("hits %v report %+v", f.hits, rep)
	}
}

func TestAnalyzeInvalidAndWrongKey(t *testing.T) {
	f := userFake()
	f.answers["sts:GetCallerIdentity"] = func(int, url.Values) (int, string) {
		return 403, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>`
	}
	rep, err := run(t, f, request())
	if err == nil || rep != nil || !strings.Contains(err.Error(), "InvalidClientTokenId") || strings.Contains(err.Error(), secret) {
		t.Fatalf("%v %v", rep, err)
	}
	// A secret that is not the key's: the fake's signature check fails.
	wrong := request()
	wrong.Secret = strings.Repeat("x", 40)
	rep, err = run(t, userFake(), wrong)
	if err == nil || rep != nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") || strings.Contains(err.Error(), wrong.Secret) {
		t.Fatalf("%v %v", rep, err)
	}
}

func TestAnalyzeRootAndCanary(t *testing.T) {
	f := userFake()
	f.arn = "arn:aws:iam::123456789012:root"
	rep, err := run(t, f, request())
	if err != nil || rep.Severity != analyze.SeverityAdmin || rep.Kind != "root account key" || !strings.HasPrefix(rep.Worst, "root credentials of account 123456789012") {
		t.Fatalf("%+v %v", rep, err)
	}
	s := vt.NewServer(t, userFake().handler(t))
	_, err = Analyzer{}.Analyze(context.Background(), s.Client("aws", time.Second), verify.Request{RuleID: SecretRule, Secret: secret, Parts: map[string]string{KeyIDRule: canaryKeyID}})
	if err == nil || !strings.Contains(err.Error(), "canary") || s.Hits.Load() != 0 {
		t.Fatalf("canary: %v, %d requests", err, s.Hits.Load())
	}
}

func TestAnalyzeAssumedRole(t *testing.T) {
	f := &fakeAWS{hits: map[string]int{}, arn: "arn:aws:sts::123456789012:assumed-role/deploy/ci-run", answers: map[string]func(int, url.Values) (int, string){
		"iam:ListAttachedRolePolicies": func(_ int, form url.Values) (int, string) {
			if form.Get("RoleName") != "deploy" {
				return 404, `<ErrorResponse><Error><Code>NoSuchEntity</Code></Error></ErrorResponse>`
			}
			return 200, attachedXML("ListAttachedRolePolicies", false, "", "AmazonEC2FullAccess")
		},
		"iam:ListRolePolicies": ok(namesXML("ListRolePolicies")),
	}}
	req := verify.Request{RuleID: SecretRule, Secret: secret, Parts: map[string]string{KeyIDRule: keyID, SessionTokenRule: "FwoGZXIvYXdzEBYaDH"}}
	rep, err := run(t, f, req)
	if err != nil {
		t.Fatal(err)
	}
	want := "[{role arn:aws:iam::123456789012:role/deploy [AmazonEC2FullAccess]}]"
	if rep.Kind != "temporary credentials of an assumed role" || fmt.Sprint(rep.Resources) != want || rep.Severity != analyze.SeverityWrite || rep.Worst != "AmazonEC2FullAccess on account 123456789012" {
		t.Fatalf("%+v", rep)
	}
}
