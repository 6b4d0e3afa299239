package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The official endpoints the analyzer signs for (all us-east-1). A base URL
// configured for "aws" replaces every one of them (a LocalStack, a test).
const (
	iamOfficial    = "https://iam.amazonaws.com"
	s3Official     = "https://s3.amazonaws.com"
	ec2Official    = "https://ec2.us-east-1.amazonaws.com"
	lambdaOfficial = "https://lambda.us-east-1.amazonaws.com"
	iamVersion     = "2010-05-08"
	signingRegion  = "us-east-1"
	// maxGroups bounds how many of a user's groups have their policies
	// listed.
	maxGroups = 10
	// maxItems is the page size asked of IAM (its maximum is 1000).
	maxItems = "100"
)

// Analyzer maps what an AWS access key reaches: who it is (STS
// GetCallerIdentity), then the IAM policies of the user or role behind it
// (ListAttachedUserPolicies, ListUserPolicies, ListGroupsForUser and the
// groups' ListAttachedGroupPolicies / ListGroupPolicies; for an assumed
// role ListAttachedRolePolicies and ListRolePolicies). When IAM refuses,
// it tries three read-only listings instead (S3 ListBuckets, EC2
// DescribeRegions, Lambda ListFunctions in us-east-1) and reports what each
// proved. Every call is a read; a canary key is never sent.
//
// Docs: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedUserPolicies.html
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUserPolicies.html
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListGroupsForUser.html
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedRolePolicies.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html
// https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html
type Analyzer struct {
	// Now is the signing clock; tests may fix it.
	Now func() time.Time
}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "aws" }

// apiError is an AWS error answer: its status and error code.
type apiError struct {
	Status int
	Code   string
	Op     string
}

func (e *apiError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s: %s (HTTP %d)", e.Op, e.Code, e.Status)
	}
	return fmt.Sprintf("%s answered HTTP %d", e.Op, e.Status)
}

// session signs and sends the analyzer's calls for one credential.
type session struct {
	c     *verify.Client
	req   verify.Request
	creds aws.Credentials
	now   func() time.Time
}

// send signs a request for service with SigV4 (us-east-1) and sends it.
func (s *session) send(ctx context.Context, service, official, method, path, body, op string) (*verify.Response, error) {
	base, err := s.c.BaseURL("aws", official)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	resp, err := s.c.Do(ctx, "aws", func(ctx context.Context) (*http.Request, error) {
		var r *http.Request
		var err error
		if body != "" {
			r, err = http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		} else {
			r, err = http.NewRequestWithContext(ctx, method, base+path, nil)
		}
		if err != nil {
			return nil, err
		}
		if body != "" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		}
		if service == "s3" {
			r.Header.Set("X-Amz-Content-Sha256", hash)
		}
		return r, v4.NewSigner().SignHTTP(ctx, s.creds, r, hash, service, signingRegion, s.now())
	})
	if err != nil {
		return nil, errors.New(verify.ErrorResult(err, s.req).Reason)
	}
	if resp.Status != http.StatusOK {
		return resp, &apiError{Status: resp.Status, Code: errorCode(resp), Op: op}
	}
	return resp, nil
}

// errorCode reads the Code of an AWS error answer: the XML of the query
// APIs and S3, or Lambda's x-amzn-ErrorType header.
func errorCode(resp *verify.Response) string {
	var x struct {
		Code  string `xml:"Code"`
		Error struct {
			Code string `xml:"Code"`
		} `xml:"Error"`
		Errors struct {
			Error struct {
				Code string `xml:"Code"`
			} `xml:"Error"`
		} `xml:"Errors"`
	}
	if xml.Unmarshal(resp.Body, &x) == nil {
		for _, c := range []string{x.Error.Code, x.Errors.Error.Code, x.Code} {
			if c != "" {
				return c
			}
		}
	}
	t, _, _ := strings.Cut(resp.Header.Get("X-Amzn-Errortype"), ":")
	return t
}

// query calls an action of a query API (STS, IAM, EC2) and decodes its XML.
func (s *session) query(ctx context.Context, service, official, action, version string, params url.Values, v any) error {
	form := url.Values{"Action": {action}, "Version": {version}}
	for k, vs := range params {
		form[k] = vs
	}
	op := service + ":" + action
	resp, err := s.send(ctx, service, official, http.MethodPost, "/", form.Encode(), op)
	if err != nil {
		return err
	}
	if err := xml.Unmarshal(resp.Body, v); err != nil {
		return fmt.Errorf("%s: the answer is not the documented XML", op)
	}
	return nil
}

// iamPage is the part of any IAM list answer the analyzer reads; the
// <...Result> element's name differs per action.
type iamPage struct {
	Result struct {
		AttachedPolicies []struct {
			PolicyName string `xml:"PolicyName"`
			PolicyArn  string `xml:"PolicyArn"`
		} `xml:"AttachedPolicies>member"`
		PolicyNames []string `xml:"PolicyNames>member"`
		Groups      []struct {
			GroupName string `xml:"GroupName"`
			Arn       string `xml:"Arn"`
		} `xml:"Groups>member"`
		IsTruncated bool   `xml:"IsTruncated"`
		Marker      string `xml:"Marker"`
	} `xml:",any"`
}

// iamList follows an IAM listing's Marker up to analyze.MaxPages pages.
func (s *session) iamList(ctx context.Context, action string, params url.Values, each func(*iamPage)) (cut bool, err error) {
	marker := ""
	for page := 0; page < analyze.MaxPages; page++ {
		p := url.Values{"MaxItems": {maxItems}}
		for k, v := range params {
			p[k] = v
		}
		if marker != "" {
			p.Set("Marker", marker)
		}
		var pg iamPage
		if err := s.query(ctx, "iam", iamOfficial, action, iamVersion, p, &pg); err != nil {
			return false, err
		}
		each(&pg)
		if !pg.Result.IsTruncated || pg.Result.Marker == "" {
			return false, nil
		}
		marker = pg.Result.Marker
	}
	return true, nil
}

// principal is who the key signs as, read from its ARN.
type principal struct {
	account, arn string
	kind         string // "user", "assumed-role", "root", "other"
	name         string // user or role name
}

func parseARN(arn, account string) principal {
	p := principal{account: account, arn: arn, kind: "other"}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return p
	}
	res := parts[5]
	switch {
	case parts[2] == "iam" && res == "root":
		p.kind = "root"
	case parts[2] == "iam" && strings.HasPrefix(res, "user/"):
		p.kind = "user"
		p.name = res[strings.LastIndexByte(res, '/')+1:]
	case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
		seg := strings.Split(res, "/")
		if len(seg) >= 2 {
			p.kind, p.name = "assumed-role", seg[1]
		}
	}
	return p
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	req = Verifier{}.Canonical(req)
	keyID, secret, token := req.Parts[KeyIDRule], req.Secret, req.Parts[SessionTokenRule]
	id := keyID
	if req.RuleID == KeyIDRule {
		id = req.Secret
	}
	if account, vendor, ok := Canary(id); ok {
		return nil, fmt.Errorf("canary token of AWS account %s (%s): not analyzed, any call with it alerts whoever planted it", account, vendor)
	}
	if req.RuleID == KeyIDRule || keyID == "" {
		return nil, errors.New("an AWS key needs both its access key id and its secret access key")
	}
	if strings.HasPrefix(keyID, "ASIA") && token == "" {
		return nil, errors.New("temporary credentials (ASIA key id) need the session token, none found nearby")
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	s := &session{c: c, req: req, now: now, creds: aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token}}

	var ci callerIdentity
	if err := s.query(ctx, "sts", official, "GetCallerIdentity", "2011-06-15", nil, &ci); err != nil {
		return nil, errors.New(verify.Scrub("AWS STS: "+err.Error(), req))
	}
	if ci.Result.Arn == "" {
		return nil, errors.New("AWS STS: the answer names no caller")
	}
	p := parseARN(ci.Result.Arn, ci.Result.Account)
	rep := &analyze.Report{Analyzer: a.ID(), Identity: ci.Result.Arn + " (account " + p.account + ")"}
	switch p.kind {
	case "root":
		rep.Kind = "root account key"
		rep.Resources = []analyze.Resource{{Kind: "account", Name: p.account, Permissions: []string{"*"}}}
		rep.Worst = "root credentials of account " + p.account + ": every action on every resource, IAM and billing included"
		rep.Severity = analyze.SeverityAdmin
	case "user", "assumed-role":
		rep.Kind = "IAM user access key"
		if p.kind == "assumed-role" {
			rep.Kind = "temporary credentials of an assumed role"
		}
		if err := s.policies(ctx, p, rep); err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub(err.Error(), req))
			s.probe(ctx, p, rep)
		}
	default:
		rep.Kind = "AWS credentials"
		s.probe(ctx, p, rep)
	}
	for i := range rep.Partial {
		rep.Partial[i] = verify.Scrub(rep.Partial[i], req)
	}
	rep.Sort()
	return rep, nil
}

// policies lists the IAM policies of the user or role behind the key. It
// returns an error when the first listing is refused (the key may not read
// its own policies); later refusals go to Partial.
func (s *session) policies(ctx context.Context, p principal, rep *analyze.Report) error {
	var attached, inline string
	param := url.Values{}
	switch p.kind {
	case "user":
		attached, inline = "ListAttachedUserPolicies", "ListUserPolicies"
		param.Set("UserName", p.name)
	default:
		attached, inline = "ListAttachedRolePolicies", "ListRolePolicies"
		param.Set("RoleName", p.name)
	}
	own := analyze.Resource{Kind: "user", Name: p.arn}
	if p.kind == "assumed-role" {
		own = analyze.Resource{Kind: "role", Name: "arn:aws:iam::" + p.account + ":role/" + p.name}
	}
	var names []string
	cut, err := s.iamList(ctx, attached, param, func(pg *iamPage) {
		for _, ap := range pg.Result.AttachedPolicies {
			own.Permissions = append(own.Permissions, ap.PolicyName)
			names = append(names, ap.PolicyName)
		}
	})
	if err != nil {
		return err
	}
	if cut {
		rep.Partial = append(rep.Partial, fmt.Sprintf("iam:%s: stopped after %d pages", attached, analyze.MaxPages))
	}
	inlineCount := 0
	s.listInto(ctx, rep, inline, param, func(pg *iamPage) {
		for _, n := range pg.Result.PolicyNames {
			own.Permissions = append(own.Permissions, "inline:"+n)
			inlineCount++
		}
	})
	rep.Resources = append(rep.Resources, own)
	if p.kind == "user" {
		var groups []analyze.Resource
		s.listInto(ctx, rep, "ListGroupsForUser", param, func(pg *iamPage) {
			for _, g := range pg.Result.Groups {
				groups = append(groups, analyze.Resource{Kind: "group", Name: g.Arn, Permissions: []string{"member:" + g.GroupName}})
			}
		})
		if len(groups) > maxGroups {
			rep.Partial = append(rep.Partial, fmt.Sprintf("iam: policies of %d of the user's %d groups not listed", len(groups)-maxGroups, maxGroups))
		}
		for i := range groups {
			if i >= maxGroups {
				break
			}
			gname := strings.TrimPrefix(groups[i].Permissions[0], "member:")
			gp := url.Values{"GroupName": {gname}}
			s.listInto(ctx, rep, "ListAttachedGroupPolicies", gp, func(pg *iamPage) {
				for _, ap := range pg.Result.AttachedPolicies {
					groups[i].Permissions = append(groups[i].Permissions, ap.PolicyName)
					names = append(names, ap.PolicyName)
				}
			})
			s.listInto(ctx, rep, "ListGroupPolicies", gp, func(pg *iamPage) {
				for _, n := range pg.Result.PolicyNames {
					groups[i].Permissions = append(groups[i].Permissions, "inline:"+n)
					inlineCount++
				}
			})
		}
		rep.Resources = append(rep.Resources, groups...)
	}
	rep.Severity, rep.Worst = judgePolicies(names, inlineCount, p.account)
	return nil
}

// listInto runs one IAM listing whose failure or cut goes to Partial.
func (s *session) listInto(ctx context.Context, rep *analyze.Report, action string, params url.Values, each func(*iamPage)) {
	cut, err := s.iamList(ctx, action, params, each)
	switch {
	case err != nil:
		rep.Partial = append(rep.Partial, err.Error())
	case cut:
		rep.Partial = append(rep.Partial, fmt.Sprintf("iam:%s: stopped after %d pages", action, analyze.MaxPages))
	}
}

// judgePolicies ranks AWS managed policies by name: administrator and IAM
// full access can make more credentials; *FullAccess and PowerUserAccess
// write; the read-only ones read. Customer policies and inline policies
// are not read (their documents would need more calls): they count as read.
func judgePolicies(managed []string, inline int, account string) (analyze.Severity, string) {
	sort.Strings(managed)
	var admin, write, read []string
	for _, n := range managed {
		switch {
		case n == "AdministratorAccess" || n == "IAMFullAccess" || n == "AWSOrganizationsFullAccess":
			admin = append(admin, n)
		case n == "PowerUserAccess" || strings.HasSuffix(n, "FullAccess"):
			write = append(write, n)
		default:
			read = append(read, n)
		}
	}
	on := " on account " + account
	switch {
	case len(admin) > 0:
		return analyze.SeverityAdmin, strings.Join(admin, ", ") + on
	case len(write) > 0:
		return analyze.SeverityWrite, strings.Join(write, ", ") + on
	case len(read) > 0 || inline > 0:
		n := len(read) + inline
		return analyze.SeverityRead, fmt.Sprintf("%d IAM %s%s, none of them an AWS administrator or full-access policy (policy documents not read)", n, plural(n, "policy", "policies"), on)
	}
	return analyze.SeverityInfo, "no IAM policy attached to it" + on
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// probe tries read-only listings when IAM cannot be read, and records what
// each proved (or that it was refused, in Partial).
func (s *session) probe(ctx context.Context, p principal, rep *analyze.Report) {
	var proved []string
	// S3 ListBuckets, bounded by max-buckets.
	if resp, err := s.send(ctx, "s3", s3Official, http.MethodGet, "/?max-buckets=1000", "", "s3:ListBuckets"); err != nil {
		rep.Partial = append(rep.Partial, err.Error())
	} else {
		var lb struct {
			Buckets []struct {
				Name string `xml:"Name"`
			} `xml:"Buckets>Bucket"`
			ContinuationToken string `xml:"ContinuationToken"`
		}
		if xml.Unmarshal(resp.Body, &lb) != nil {
			rep.Partial = append(rep.Partial, "s3:ListBuckets: the answer is not the documented XML")
		} else {
			for _, b := range lb.Buckets {
				rep.Resources = append(rep.Resources, analyze.Resource{Kind: "bucket", Name: "arn:aws:s3:::" + b.Name, Permissions: []string{"s3:ListAllMyBuckets"}})
			}
			if lb.ContinuationToken != "" {
				rep.Partial = append(rep.Partial, "s3:ListBuckets: only the first 1000 buckets listed")
			}
			proved = append(proved, fmt.Sprintf("list %d S3 %s", len(lb.Buckets), plural(len(lb.Buckets), "bucket", "buckets")))
		}
	}
	// EC2 DescribeRegions: proves EC2 read access in the account.
	var dr struct {
		Regions []string `xml:"regionInfo>item>regionName"`
	}
	if err := s.query(ctx, "ec2", ec2Official, "DescribeRegions", "2016-11-15", nil, &dr); err != nil {
		rep.Partial = append(rep.Partial, err.Error())
	} else {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "service", Name: "ec2", Permissions: []string{"ec2:DescribeRegions"}})
		proved = append(proved, "describe EC2")
	}
	// Lambda ListFunctions in us-east-1, first page.
	if resp, err := s.send(ctx, "lambda", lambdaOfficial, http.MethodGet, "/2015-03-31/functions/?MaxItems=50", "", "lambda:ListFunctions"); err != nil {
		rep.Partial = append(rep.Partial, err.Error())
	} else {
		var lf struct {
			Functions []struct {
				FunctionArn string `json:"FunctionArn"`
			} `json:"Functions"`
			NextMarker string `json:"NextMarker"`
		}
		if json.Unmarshal(resp.Body, &lf) != nil {
			rep.Partial = append(rep.Partial, "lambda:ListFunctions: the answer is not the documented JSON")
		} else {
			for _, f := range lf.Functions {
				rep.Resources = append(rep.Resources, analyze.Resource{Kind: "function", Name: f.FunctionArn, Permissions: []string{"lambda:ListFunctions"}})
			}
			if lf.NextMarker != "" {
				rep.Partial = append(rep.Partial, "lambda:ListFunctions: only the first 50 functions of us-east-1 listed")
			}
			proved = append(proved, fmt.Sprintf("list %d Lambda %s in us-east-1", len(lf.Functions), plural(len(lf.Functions), "function", "functions")))
		}
	}
	if len(proved) == 0 {
		rep.Severity = analyze.SeverityInfo
		rep.Worst = "no read-only probe succeeded on account " + p.account + " (its policies could not be read)"
		return
	}
	rep.Severity = analyze.SeverityRead
	rep.Worst = "can " + strings.Join(proved, ", ") + " on account " + p.account + " (its IAM policies could not be read)"
}
