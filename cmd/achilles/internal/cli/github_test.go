package cli

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// The planted secrets of the fake GitHub, by where they are.
const (
	kIssue = iota
	kPR
	kIssueComment
	kReviewComment
	kRelease
	kActionsLog
	kAsset
	kArtifact
	kDiscussion
	kDiscussionComment
	kDiscussionReply
	kDiscussionComment2 // on the discussion's second page of comments
	kDiscussion2        // on the second page of discussions
	kLibIssue           // in acme/lib, listed on the owner's second page
	kGistOld            // in a gist's older revision, gone from the newest
	kGistComment
	kGistRaw // in the part of a truncated gist file only its raw_url has
	kGistDescription
	kExpiredArtifact // in an expired artifact: never downloaded
	nKeys
)

// plantedAWSKeys builds n distinct AWS access key ids at run time.
func plantedAWSKeys(n int) []string {
	const b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "AKIAZ3MSJV4WQPTHK" + string(b32[i/32%32]) + string(b32[i%32]) + "Q"
	}
	return keys
}

// fakeGitHub answers the REST and GraphQL endpoints `achilles github`
// reads, in the shapes GitHub documents, for the user acme: its
// repositories (no organisation of that name; two pages: acme/app, then
// acme/lib) and its gists (two pages). acme/app has two pages of issues
// (an issue with a comment, then a pull request with a review comment and
// a review), a release with a .tar.gz asset, one completed Actions run
// whose log archive and one unexpired artifact are redirects to a storage
// server (an expired artifact must not be asked for), and discussions
// (GraphQL: two pages, the first discussion with a second page of
// comments). Gist g1 has two revisions, the older holding a key, and a
// comment; gist g2's only file is truncated, its raw_url on the storage
// server. The second issues page is first refused by a rate limit.
// Every API request must carry the token.
type fakeGitHub struct {
	keys      []string
	storage   string
	limited   atomic.Bool
	noToken   atomic.Int64
	sawLogReq atomic.Bool
	// Requests the fake did not expect: a GraphQL query with the wrong
	// variables or cursor, an asset asked for as JSON, an expired
	// artifact.
	unexpected atomic.Int64
	orgsAsked  atomic.Bool
}

const ghTestToken = "ghs_fakeTokenForTheLoopbackAPI"

const (
	gistRev1 = "1111111111111111111111111111111111111111"
	gistRev2 = "2222222222222222222222222222222222222222"
	gistRev3 = "3333333333333333333333333333333333333333"
)

func (g *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+ghTestToken {
		g.noToken.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Bad credentials"}`)
		return
	}
	base := "http://" + r.Host
	web := "https://github.example/acme/app"
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/repos/acme/app":
		fmt.Fprintf(w, `{"full_name":"acme/app","html_url":%q}`, web)
	case "/repos/acme/app/issues/2":
		fmt.Fprintf(w, `{"number":2,"title":"Add deploy","body":"deploy with %s","html_url":%q,"user":{"login":"bob"},
			"updated_at":"2026-02-02T10:00:00Z","comments":0,"pull_request":{"url":"%s/repos/acme/app/pulls/2"}}`, g.keys[kPR], web+"/pull/2", base)
	case "/repos/acme/app/issues":
		if r.URL.Query().Get("page") == "2" {
			if !g.limited.Swap(true) {
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Unix(), 10))
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{"message":"API rate limit exceeded"}`)
				return
			}
			fmt.Fprintf(w, `[{"number":2,"title":"Add deploy","body":"deploy with %s","html_url":%q,"user":{"login":"bob"},
				"updated_at":"2026-02-02T10:00:00Z","comments":0,"pull_request":{"url":"%s/repos/acme/app/pulls/2"}}]`, g.keys[kPR], web+"/pull/2", base)
			return
		}
		w.Header().Set("Link", fmt.Sprintf(`<%s/repos/acme/app/issues?state=all&per_page=100&page=2>; rel="next"`, base))
		fmt.Fprintf(w, `[{"number":1,"title":"Login fails","body":"my config: aws_access_key_id = %s","html_url":%q,
			"user":{"login":"alice"},"updated_at":"2026-01-01T09:00:00Z","comments":1}]`, g.keys[kIssue], web+"/issues/1")
	case "/repos/acme/app/issues/1/comments":
		fmt.Fprintf(w, `[{"body":"try mine: %s","html_url":%q,"user":{"login":"carol"},"updated_at":"2026-01-01T09:30:00Z"}]`,
			g.keys[kIssueComment], web+"/issues/1#issuecomment-11")
	case "/repos/acme/app/pulls/2/comments":
		fmt.Fprintf(w, `[{"body":"hard-coded %s here","html_url":%q,"user":{"login":"dave"},"updated_at":"2026-02-02T11:00:00Z"}]`,
			g.keys[kReviewComment], web+"/pull/2#discussion_r21")
	case "/repos/acme/app/pulls/2/reviews":
		fmt.Fprintf(w, `[{"body":"LGTM","html_url":%q,"user":{"login":"erin"},"submitted_at":"2026-02-02T12:00:00Z"}]`, web+"/pull/2#pullrequestreview-31")
	case "/repos/acme/app/releases":
		fmt.Fprintf(w, `[{"id":5,"name":"v1.0","tag_name":"v1.0","body":"smoke test key %s","html_url":%q,"author":{"login":"frank"},
			"published_at":"2026-03-03T00:00:00Z","assets":[{"url":"%s/repos/acme/app/releases/assets/51","id":51,"name":"app-1.0.tar.gz",
			"label":"","state":"uploaded","content_type":"application/gzip","size":300,"download_count":3,"created_at":"2026-03-03T00:00:00Z",
			"updated_at":"2026-03-03T00:01:00Z","uploader":{"login":"heidi"},"browser_download_url":%q}]}]`,
			g.keys[kRelease], web+"/releases/tag/v1.0", base, web+"/releases/download/v1.0/app-1.0.tar.gz")
	case "/repos/acme/app/releases/assets/51":
		if r.Header.Get("Accept") != "application/octet-stream" {
			// GitHub answers the asset's JSON description instead.
			g.unexpected.Add(1)
			fmt.Fprintf(w, `{"id":51,"name":"app-1.0.tar.gz","url":"%s/repos/acme/app/releases/assets/51"}`, base)
			return
		}
		http.Redirect(w, r, g.storage+"/assets/51?sig=abc", http.StatusFound)
	case "/repos/acme/app/actions/runs":
		fmt.Fprintf(w, `{"total_count":2,"workflow_runs":[{"id":7,"status":"completed","html_url":%q,"actor":{"login":"grace"},
			"created_at":"2026-04-04T00:00:00Z","updated_at":"2026-04-04T00:05:00Z"},{"id":8,"status":"in_progress","html_url":%q,
			"actor":{"login":"grace"},"created_at":"2026-04-05T00:00:00Z"}]}`, web+"/actions/runs/7", web+"/actions/runs/8")
	case "/repos/acme/app/actions/runs/7/logs":
		g.sawLogReq.Store(true)
		http.Redirect(w, r, g.storage+"/logs/7.zip?sig=abc", http.StatusFound)
	case "/repos/acme/app/actions/artifacts":
		fmt.Fprintf(w, `{"total_count":2,"artifacts":[
			{"id":61,"node_id":"MDg6QXJ0aWZhY3Q2MQ==","name":"coverage","size_in_bytes":400,"url":"%[1]s/repos/acme/app/actions/artifacts/61",
			 "archive_download_url":"%[1]s/repos/acme/app/actions/artifacts/61/zip","expired":false,"created_at":"2026-04-04T00:04:00Z",
			 "expires_at":"2026-07-03T00:04:00Z","updated_at":"2026-04-04T00:04:30Z","workflow_run":{"id":7,"head_branch":"main"}},
			{"id":62,"node_id":"MDg6QXJ0aWZhY3Q2Mg==","name":"old","size_in_bytes":400,"url":"%[1]s/repos/acme/app/actions/artifacts/62",
			 "archive_download_url":"%[1]s/repos/acme/app/actions/artifacts/62/zip","expired":true,"created_at":"2025-01-01T00:00:00Z",
			 "expires_at":"2025-04-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z","workflow_run":{"id":3,"head_branch":"main"}}]}`, base)
	case "/repos/acme/app/actions/artifacts/61/zip":
		http.Redirect(w, r, g.storage+"/artifacts/61.zip?sig=abc", http.StatusFound)
	case "/repos/acme/app/actions/artifacts/62/zip":
		g.unexpected.Add(1)
		http.Redirect(w, r, g.storage+"/artifacts/62.zip?sig=abc", http.StatusFound)
	case "/users/acme/repos":
		if r.URL.Query().Get("page") == "2" {
			fmt.Fprint(w, `[{"name":"lib","full_name":"acme/lib","owner":{"login":"acme","type":"User"}}]`)
			return
		}
		w.Header().Set("Link", fmt.Sprintf(`<%s/users/acme/repos?per_page=100&type=owner&page=2>; rel="next"`, base))
		fmt.Fprint(w, `[{"name":"app","full_name":"acme/app","owner":{"login":"acme","type":"User"}}]`)
	case "/orgs/acme/repos":
		g.orgsAsked.Store(true)
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/repos/repos#list-organization-repositories"}`)
	case "/repos/acme/lib":
		fmt.Fprint(w, `{"full_name":"acme/lib","html_url":"https://github.example/acme/lib"}`)
	case "/repos/acme/lib/issues":
		fmt.Fprintf(w, `[{"number":1,"title":"CI","body":"ci uses %s","html_url":"https://github.example/acme/lib/issues/1",
			"user":{"login":"oscar"},"updated_at":"2026-06-01T00:00:00Z","comments":0}]`, g.keys[kLibIssue])
	case "/repos/acme/lib/releases", "/repos/acme/app/pulls/1/comments":
		fmt.Fprint(w, `[]`)
	case "/repos/acme/lib/actions/runs":
		fmt.Fprint(w, `{"total_count":0,"workflow_runs":[]}`)
	case "/repos/acme/lib/actions/artifacts":
		fmt.Fprint(w, `{"total_count":0,"artifacts":[]}`)
	case "/users/acme/gists":
		if r.URL.Query().Get("page") == "2" {
			fmt.Fprint(w, "["+g.gist("g2", base, "")+"]")
			return
		}
		w.Header().Set("Link", fmt.Sprintf(`<%s/users/acme/gists?per_page=100&page=2>; rel="next"`, base))
		fmt.Fprint(w, "["+g.gist("g1", base, "")+"]")
	case "/gists/g1", "/gists/g2":
		fmt.Fprint(w, g.gist(strings.TrimPrefix(r.URL.Path, "/gists/"), base, ""))
	case "/gists/g1/commits":
		fmt.Fprintf(w, `[{"url":"%[1]s/gists/g1/%[2]s","version":%[2]q,"user":{"login":"ivan"},"change_status":{"total":1,"additions":0,"deletions":1},"committed_at":"2026-05-02T00:00:00Z"},
			{"url":"%[1]s/gists/g1/%[3]s","version":%[3]q,"user":{"login":"ivan"},"change_status":{"total":2,"additions":2,"deletions":0},"committed_at":"2026-05-01T00:00:00Z"}]`,
			base, gistRev2, gistRev1)
	case "/gists/g2/commits":
		fmt.Fprintf(w, `[{"url":"%[1]s/gists/g2/%[2]s","version":%[2]q,"user":{"login":"judy"},"change_status":{"total":3,"additions":3,"deletions":0},"committed_at":"2026-05-03T00:00:00Z"}]`,
			base, gistRev3)
	case "/gists/g1/" + gistRev1, "/gists/g1/" + gistRev2, "/gists/g2/" + gistRev3:
		id, rev, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/gists/"), "/")
		fmt.Fprint(w, g.gist(id, base, rev))
	case "/gists/g1/comments":
		fmt.Fprintf(w, `[{"id":71,"node_id":"GC_71","url":"%s/gists/g1/comments/71","body":"or use %s","user":{"login":"ken"},
			"created_at":"2026-05-04T00:00:00Z","updated_at":"2026-05-04T00:00:00Z","author_association":"NONE"}]`, base, g.keys[kGistComment])
	case "/gists/g2/comments":
		fmt.Fprint(w, `[]`)
	case "/graphql":
		g.graphQL(w, r)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found"}`)
	}
}

// gist is a gist as GitHub gives it: in a listing (rev "", files without
// content) or at one revision (its files' content; g2's one file
// truncated, the rest on the storage server's raw_url).
func (g *fakeGitHub) gist(id, base, rev string) string {
	html := "https://gist.github.example/" + id
	desc, updated, files := "deploy notes", "2026-05-04T00:00:00Z", ""
	switch id + "@" + rev {
	case "g1@" + gistRev1:
		files = fmt.Sprintf(`"deploy.sh":{"filename":"deploy.sh","type":"application/x-sh","language":"Shell","raw_url":%q,"size":60,
			"truncated":false,"content":"export AWS_ACCESS_KEY_ID=%s\n./deploy\n"}`, g.storage+"/raw/g1/"+rev+"/deploy.sh", g.keys[kGistOld])
	case "g1@" + gistRev2, "g1@":
		files = fmt.Sprintf(`"deploy.sh":{"filename":"deploy.sh","type":"application/x-sh","language":"Shell","raw_url":%q,"size":60,
			"truncated":false,"content":"export AWS_ACCESS_KEY_ID=$(vault read aws/key)\n./deploy\n"}`, g.storage+"/raw/g1/"+gistRev2+"/deploy.sh")
	case "g2@" + gistRev3, "g2@":
		desc, updated = "staging env: "+g.keys[kGistDescription], "2026-05-03T00:00:00Z"
		files = fmt.Sprintf(`"big.env":{"filename":"big.env","type":"text/plain","language":null,"raw_url":%q,"size":2000000,
			"truncated":true,"content":"# the first part only\nA=1\n"}`, g.storage+"/raw/g2/"+gistRev3+"/big.env")
	}
	if rev == "" {
		// A listing carries no content.
		files = strings.NewReplacer(`"truncated":false,`, "", `"truncated":true,`, "").Replace(files)
		if i := strings.Index(files, `"content"`); i >= 0 {
			files = strings.TrimRight(files[:i], " \t\n,") + "}"
		}
	}
	return fmt.Sprintf(`{"url":"%[1]s/gists/%[2]s","id":%[2]q,"html_url":%[3]q,"files":{%[4]s},"public":true,
		"created_at":"2026-05-01T00:00:00Z","updated_at":%[5]q,"description":%[6]q,"comments":1,"owner":{"login":"acme"},"truncated":false}`,
		base, id, html, files, updated, desc)
}

// graphQL answers the discussions queries: two pages of acme/app's
// discussions (the cursor of the first page's end must come back), the
// first discussion's second page of comments by its node id, and none
// for acme/lib. Any other query or cursor is counted as unexpected.
func (g *fakeGitHub) graphQL(w http.ResponseWriter, r *http.Request) {
	var q struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&q) != nil {
		g.unexpected.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	web := "https://github.example/acme/app/discussions/"
	author := func(l string) string { return fmt.Sprintf(`{"login":%q}`, l) }
	noPage := `{"hasNextPage":false,"endCursor":null}`
	v := q.Variables
	switch {
	case strings.Contains(q.Query, "repository(") && v["owner"] == "acme" && v["name"] == "lib" && v["cursor"] == nil:
		fmt.Fprintf(w, `{"data":{"repository":{"discussions":{"pageInfo":%s,"nodes":[]}}}}`, noPage)
	case strings.Contains(q.Query, "repository(") && v["owner"] == "acme" && v["name"] == "app" && v["cursor"] == nil:
		fmt.Fprintf(w, `{"data":{"repository":{"discussions":{"pageInfo":{"hasNextPage":true,"endCursor":"Y3Vyc29yOnYyOpHOAAE="},"nodes":[
			{"id":"D_1","title":"How to deploy?","body":"I use %[1]s","url":"%[2]s1","updatedAt":"2026-06-01T00:00:00Z","author":%[3]s,
			 "comments":{"pageInfo":{"hasNextPage":true,"endCursor":"Y29tbWVudHM6MQ=="},"nodes":[
			  {"id":"DC_1","body":"mine is %[4]s","url":"%[2]s1#discussioncomment-1","updatedAt":"2026-06-01T01:00:00Z","author":%[5]s,
			   "replies":{"pageInfo":%[6]s,"nodes":[{"id":"DC_2","body":"and %[7]s","url":"%[2]s1#discussioncomment-2","updatedAt":"2026-06-01T02:00:00Z","author":%[8]s}]}}]}}]}}}}`,
			g.keys[kDiscussion], web, author("kim"), g.keys[kDiscussionComment], author("leo"), noPage, g.keys[kDiscussionReply], author("mia"))
	case strings.Contains(q.Query, "repository(") && v["owner"] == "acme" && v["name"] == "app" && v["cursor"] == "Y3Vyc29yOnYyOpHOAAE=":
		fmt.Fprintf(w, `{"data":{"repository":{"discussions":{"pageInfo":%s,"nodes":[
			{"id":"D_2","title":"Second","body":"key %s","url":"%s2","updatedAt":"2026-06-02T00:00:00Z","author":null,
			 "comments":{"pageInfo":%[1]s,"nodes":[]}}]}}}}`, noPage, g.keys[kDiscussion2], web)
	case strings.Contains(q.Query, "node(") && v["id"] == "D_1" && v["cursor"] == "Y29tbWVudHM6MQ==":
		fmt.Fprintf(w, `{"data":{"node":{"comments":{"pageInfo":%[1]s,"nodes":[
			{"id":"DC_3","body":"late %[2]s","url":"%[3]s1#discussioncomment-3","updatedAt":"2026-06-03T00:00:00Z","author":%[4]s,
			 "replies":{"pageInfo":%[1]s,"nodes":[]}}]}}}}`, noPage, g.keys[kDiscussionComment2], web, author("nina"))
	default:
		g.unexpected.Add(1)
		fmt.Fprint(w, `{"data":null,"errors":[{"type":"NOT_FOUND","message":"Could not resolve to a Repository."}]}`)
	}
}

// ghStorage is the storage host GitHub's downloads redirect to: run log
// and artifact zips, a release's .tar.gz, a gist's raw file. It must
// never see the token, nor an Authorization header at all.
type ghStorage struct {
	*httptest.Server
	sawToken atomic.Bool
	requests atomic.Int64
}

func newGHStorage(t *testing.T, keys []string) *ghStorage {
	t.Helper()
	files := map[string][]byte{
		"/logs/7.zip":       logArchive(t, keys[kActionsLog]),
		"/artifacts/61.zip": zipOf(t, "coverage/env.txt", "AWS_ACCESS_KEY_ID="+keys[kArtifact]+"\n"),
		"/artifacts/62.zip": zipOf(t, "old/env.txt", "AWS_ACCESS_KEY_ID="+keys[kExpiredArtifact]+"\n"),
		"/assets/51":        tarGzOf(t, "app-1.0/config/prod.env", "aws_access_key_id="+keys[kAsset]+"\n"),
		"/raw/g2/" + gistRev3 + "/big.env": []byte("# the first part only\nA=1\n" + strings.Repeat("B=2\n", 1000) +
			"AWS_ACCESS_KEY_ID=" + keys[kGistRaw] + "\n"),
	}
	s := &ghStorage{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if r.Header.Get("Authorization") != "" || strings.Contains(fmt.Sprint(r.Header), ghTestToken) {
			s.sawToken.Store(true)
		}
		b, ok := files[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

func logArchive(t *testing.T, key string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("build/3_Run tests.txt")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "2026-04-04T00:01:00.0000000Z export AWS_ACCESS_KEY_ID=%s\n2026-04-04T00:01:01.0000000Z ok\n", key)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, content)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tarGzOf(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	io.WriteString(tw, content)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wantItems checks that each planted key was found once or more, as an
// item finding of the given origin.
func wantItems(t *testing.T, r result, want map[string]finding.ItemOrigin) map[string]finding.Finding {
	t.Helper()
	got := map[string]finding.Finding{}
	for _, f := range decodeFindings(t, r) {
		got[f.Secret] = f
	}
	for key, origin := range want {
		f, ok := got[key]
		if !ok {
			t.Errorf("%s (%s) not found", key, origin.Type)
			continue
		}
		if f.Kind != finding.KindItem || f.Item == nil || *f.Item != origin {
			t.Errorf("%s: kind %q item %+v, want %+v", key, f.Kind, f.Item, origin)
		}
	}
	return got
}

// The items of one repository, as the fake's acme/app holds them.
func appItems(keys []string, api string) map[string]finding.ItemOrigin {
	web := "https://github.example/acme/app"
	return map[string]finding.ItemOrigin{
		keys[kIssue]:              {Type: "issue", URL: web + "/issues/1", Author: "alice", Date: "2026-01-01T09:00:00Z"},
		keys[kPR]:                 {Type: "pull-request", URL: web + "/pull/2", Author: "bob", Date: "2026-02-02T10:00:00Z"},
		keys[kIssueComment]:       {Type: "issue-comment", URL: web + "/issues/1#issuecomment-11", Author: "carol", Date: "2026-01-01T09:30:00Z"},
		keys[kReviewComment]:      {Type: "review-comment", URL: web + "/pull/2#discussion_r21", Author: "dave", Date: "2026-02-02T11:00:00Z"},
		keys[kRelease]:            {Type: "release", URL: web + "/releases/tag/v1.0", Author: "frank", Date: "2026-03-03T00:00:00Z"},
		keys[kActionsLog]:         {Type: "actions-log", URL: web + "/actions/runs/7", Author: "grace", Date: "2026-04-04T00:00:00Z"},
		keys[kAsset]:              {Type: "release-asset", URL: web + "/releases/download/v1.0/app-1.0.tar.gz", Author: "heidi", Date: "2026-03-03T00:01:00Z"},
		keys[kArtifact]:           {Type: "actions-artifact", URL: api + "/acme/app/actions/runs/7/artifacts/61", Date: "2026-04-04T00:04:00Z"},
		keys[kDiscussion]:         {Type: "discussion", URL: web + "/discussions/1", Author: "kim", Date: "2026-06-01T00:00:00Z"},
		keys[kDiscussionComment]:  {Type: "discussion-comment", URL: web + "/discussions/1#discussioncomment-1", Author: "leo", Date: "2026-06-01T01:00:00Z"},
		keys[kDiscussionReply]:    {Type: "discussion-comment", URL: web + "/discussions/1#discussioncomment-2", Author: "mia", Date: "2026-06-01T02:00:00Z"},
		keys[kDiscussionComment2]: {Type: "discussion-comment", URL: web + "/discussions/1#discussioncomment-3", Author: "nina", Date: "2026-06-03T00:00:00Z"},
		keys[kDiscussion2]:        {Type: "discussion", URL: web + "/discussions/2", Date: "2026-06-02T00:00:00Z"},
	}
}

// The items of acme's gists.
func gistItems(keys []string) map[string]finding.ItemOrigin {
	g := "https://gist.github.example/"
	return map[string]finding.ItemOrigin{
		keys[kGistOld]:         {Type: "gist", URL: g + "g1/" + gistRev1, Author: "ivan", Date: "2026-05-01T00:00:00Z"},
		keys[kGistComment]:     {Type: "gist-comment", URL: g + "g1#gistcomment-71", Author: "ken", Date: "2026-05-04T00:00:00Z"},
		keys[kGistRaw]:         {Type: "gist", URL: g + "g2/" + gistRev3, Author: "judy", Date: "2026-05-03T00:00:00Z"},
		keys[kGistDescription]: {Type: "gist", URL: g + "g2", Author: "acme", Date: "2026-05-03T00:00:00Z"},
	}
}

func TestGitHubItemsEndToEnd(t *testing.T) {
	keys := plantedAWSKeys(nKeys)
	storage := newGHStorage(t, keys)
	g := &fakeGitHub{keys: keys, storage: storage.URL}
	api := httptest.NewServer(noWiki(g)) // --include all asks for the wiki too
	defer api.Close()
	env := append(os.Environ(), "ACHILLES_CONFIG=", "GITHUB_TOKEN="+ghTestToken)
	r := execAchilles(t, t.TempDir(), env, "", "github", "acme/app", "--api-url", api.URL, "--include", "all", "-f", "json", "--no-progress")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if !g.limited.Load() || !strings.Contains(r.stderr, "waiting") {
		t.Fatalf("the rate limit was not waited out:\n%s", r.stderr)
	}
	if storage.sawToken.Load() {
		t.Fatal("the storage host received the token")
	}
	if g.noToken.Load() != 0 || g.unexpected.Load() != 0 {
		t.Fatalf("%d API requests without the token, %d unexpected requests\n%s", g.noToken.Load(), g.unexpected.Load(), r.stderr)
	}
	got := wantItems(t, r, appItems(keys, api.URL))
	if f := got[keys[kActionsLog]]; !strings.HasSuffix(f.Path, "logs.zip!build/3_Run tests.txt") {
		t.Errorf("log finding path %q", f.Path)
	}
	if f := got[keys[kAsset]]; !strings.HasSuffix(f.Path, "app-1.0.tar.gz!app-1.0/config/prod.env") {
		t.Errorf("asset finding path %q", f.Path)
	}
	if f := got[keys[kArtifact]]; !strings.HasSuffix(f.Path, "/artifacts/61/coverage.zip!coverage/env.txt") {
		t.Errorf("artifact finding path %q", f.Path)
	}
	// A repository target reads no gists, and an expired artifact is not
	// downloaded.
	for _, k := range []int{kGistOld, kExpiredArtifact, kLibIssue} {
		if _, ok := got[keys[k]]; ok {
			t.Errorf("key %d found in a repository target", k)
		}
	}
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("warnings:\n%s", r.stderr)
	}

	// One pull request by its URL: that item and its comments only.
	r = execAchilles(t, t.TempDir(), env, "", "github", "https://github.example/acme/app/pull/2", "--api-url", api.URL, "-f", "json", "--no-progress")
	var secrets []string
	for _, f := range decodeFindings(t, r) {
		secrets = append(secrets, f.Secret)
	}
	if r.code != 1 || strings.Join(secrets, ",") != keys[kPR]+","+keys[kReviewComment] && strings.Join(secrets, ",") != keys[kReviewComment]+","+keys[kPR] {
		t.Fatalf("one pull request: exit %d, secrets %v\n%s", r.code, secrets, r.stderr)
	}

	// A repository, owner or gist the API does not know, or a wrong
	// token: exit 2.
	for _, c := range []struct {
		env    []string
		target string
	}{{env, "acme/missing"}, {env, "nobody"}, {env, "https://gist.github.example/acme/nothere"},
		{append(os.Environ(), "ACHILLES_CONFIG=", "GITHUB_TOKEN=wrong"), "acme/app"}} {
		r = execAchilles(t, t.TempDir(), c.env, "", "github", c.target, "--api-url", api.URL, "--no-progress")
		if r.code != 2 || strings.Contains(r.stderr, ghTestToken) {
			t.Fatalf("%s: exit %d, want 2\n%s", c.target, r.code, r.stderr)
		}
	}
	// Plain http to a host that is not loopback is refused before any
	// request.
	r = execAchilles(t, t.TempDir(), env, "", "github", "acme/app", "--api-url", "http://github.example/api/v3", "--no-progress")
	if r.code != 2 || !strings.Contains(r.stderr, "only https") {
		t.Fatalf("plain http API: exit %d\n%s", r.code, r.stderr)
	}
	// A credential written in the API URL is refused and not echoed.
	r = execAchilles(t, t.TempDir(), env, "", "github", "acme/app", "--api-url", "https://ci:pw-in-url-31337@github.example/api/v3", "--no-progress")
	if r.code != 2 || !strings.Contains(r.stderr, "--token-env") || strings.Contains(r.stderr, "pw-in-url-31337") {
		t.Fatalf("credential in the API URL: exit %d\n%s", r.code, r.stderr)
	}
}

// An owner target: acme is no organisation (404), so it is read as a user:
// both repositories of its two-page listing, and with --include gists its
// gists at every revision (a key removed in the newest revision is still
// found), their comments, descriptions and a truncated file read whole
// from its raw_url without the token. A gist's URL reads that gist.
func TestGitHubOwnerAndGists(t *testing.T) {
	keys := plantedAWSKeys(nKeys)
	storage := newGHStorage(t, keys)
	g := &fakeGitHub{keys: keys, storage: storage.URL}
	g.limited.Store(true)
	api := httptest.NewServer(g)
	defer api.Close()
	env := append(os.Environ(), "ACHILLES_CONFIG=", "GITHUB_TOKEN="+ghTestToken)
	r := execAchilles(t, t.TempDir(), env, "", "github", "https://github.example/acme", "--api-url", api.URL, "--include", "all", "-f", "json", "--no-progress")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if !g.orgsAsked.Load() {
		t.Error("the organisation listing was not tried first")
	}
	if storage.sawToken.Load() || g.noToken.Load() != 0 || g.unexpected.Load() != 0 {
		t.Fatalf("storage saw the token: %v; %d API requests without it; %d unexpected\n%s",
			storage.sawToken.Load(), g.noToken.Load(), g.unexpected.Load(), r.stderr)
	}
	want := appItems(keys, api.URL)
	for k, v := range gistItems(keys) {
		want[k] = v
	}
	want[keys[kLibIssue]] = finding.ItemOrigin{Type: "issue", URL: "https://github.example/acme/lib/issues/1", Author: "oscar", Date: "2026-06-01T00:00:00Z"}
	got := wantItems(t, r, want)
	if f := got[keys[kGistOld]]; f.Path != "https://gist.github.example/g1/"+gistRev1+"/deploy.sh" {
		t.Errorf("old gist revision's path %q", f.Path)
	}
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("warnings:\n%s", r.stderr)
	}

	// Without --include gists an owner's repositories only.
	r = execAchilles(t, t.TempDir(), env, "", "github", "acme", "--api-url", api.URL, "-f", "json", "--no-progress")
	got = map[string]finding.Finding{}
	for _, f := range decodeFindings(t, r) {
		got[f.Secret] = f
	}
	if _, ok := got[keys[kLibIssue]]; !ok || r.code != 1 {
		t.Fatalf("owner without gists: exit %d, acme/lib's issue not found\n%s", r.code, r.stderr)
	}
	if _, ok := got[keys[kGistOld]]; ok {
		t.Fatal("gists were read without --include gists")
	}

	// One gist by its URL: its revisions and comments, nothing else.
	r = execAchilles(t, t.TempDir(), env, "", "github", "https://gist.github.example/acme/g1", "--api-url", api.URL, "-f", "json", "--no-progress")
	var secrets []string
	for _, f := range decodeFindings(t, r) {
		secrets = append(secrets, f.Secret)
	}
	sort.Strings(secrets)
	wantSecrets := []string{keys[kGistOld], keys[kGistComment]}
	sort.Strings(wantSecrets)
	if r.code != 1 || strings.Join(secrets, ",") != strings.Join(wantSecrets, ",") {
		t.Fatalf("one gist: exit %d, secrets %v, want %v\n%s", r.code, secrets, wantSecrets, r.stderr)
	}
}

// etagged answers GitHub's way: every 200 carries an ETag of its body,
// and a request whose If-None-Match matches gets 304. It counts the REST
// requests for items (not the organisation's repository list, not git's
// clone attempt) and how many of them were conditional, and apart from
// them the GraphQL queries.
type etagged struct {
	next                 http.Handler
	items, conditional   atomic.Int64
	notModified, listing atomic.Int64
	graphQL              atomic.Int64
}

func (e *etagged) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/orgs/"):
		e.listing.Add(1)
	case r.URL.Path == "/graphql":
		e.graphQL.Add(1)
	case strings.Contains(r.URL.Path, ".git/"): // the clone's attempt
	default:
		e.items.Add(1)
		if r.Header.Get("If-None-Match") != "" {
			e.conditional.Add(1)
		}
	}
	rec := httptest.NewRecorder()
	e.next.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK && !strings.HasSuffix(r.URL.Path, "/logs") {
		etag := fmt.Sprintf(`W/"%x"`, fnvHash(rec.Body.Bytes()))
		if r.Header.Get("If-None-Match") == etag {
			e.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		rec.Header().Set("ETag", etag)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func fnvHash(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

// sweep --include reads every listed repository's items into the
// database with their locations; a rerun without changes makes only
// conditional requests for them and keeps every finding.
func TestSweepIncludeItems(t *testing.T) {
	keys := plantedAWSKeys(nKeys)
	storage := newGHStorage(t, keys)
	g := &fakeGitHub{keys: keys, storage: storage.URL}
	g.limited.Store(true) // no rate limit here
	mux := http.NewServeMux()
	mux.HandleFunc("/orgs/acme/repos", func(w http.ResponseWriter, r *http.Request) {
		// The repository's clone URL is on the API's host, where no git
		// server answers: its history fails, its items are read.
		fmt.Fprintf(w, `[{"full_name":"acme/app","clone_url":"http://%s/acme/app.git"}]`, r.Host)
	})
	mux.Handle("/", g)
	e := &etagged{next: mux}
	api := httptest.NewServer(e)
	defer api.Close()
	dir := t.TempDir()
	env := append(os.Environ(), "ACHILLES_CONFIG=", "GITHUB_TOKEN="+ghTestToken, "HOME="+dir)
	db := dir + "/sweep.db"
	args := []string{"sweep", "--github-org", "acme", "--github-api-url", api.URL, "--include", "all", "--db", db,
		"--cache", dir + "/cache", "--no-progress", "--exit-code", "0"}
	r := execAchilles(t, dir, env, "", args...)
	if r.code != 0 {
		t.Fatalf("sweep: exit %d\n%s", r.code, r.stderr)
	}
	rep := execAchilles(t, dir, env, "", "report", "--db", db, "-f", "json", "--no-redact")
	found := map[string]finding.Finding{}
	for _, f := range decodeFindings(t, rep) {
		found[f.Secret] = f
	}
	want := appItems(keys, api.URL)
	for k, origin := range want {
		if f, ok := found[k]; !ok || f.Kind != finding.KindItem || f.Item == nil || *f.Item != origin {
			t.Fatalf("%s: stored as %+v (%v), want %+v\n%s", k, f.Item, ok, origin, rep.stderr)
		}
	}
	if len(found) != len(want) {
		t.Fatalf("the database holds %d secrets, want %d", len(found), len(want))
	}
	e.items.Store(0)
	e.conditional.Store(0)
	e.notModified.Store(0)
	e.graphQL.Store(0)
	storage.requests.Store(0)
	r = execAchilles(t, dir, env, "", args...)
	if r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.stderr)
	}
	// Every REST request is conditional and answered 304, so no log,
	// artifact or asset is downloaded again; GraphQL has no conditional
	// requests, so the discussions are asked for again.
	if e.items.Load() == 0 || e.conditional.Load() != e.items.Load() || e.notModified.Load() != e.items.Load() {
		t.Fatalf("no-change rerun: %d item requests, %d conditional, %d not modified", e.items.Load(), e.conditional.Load(), e.notModified.Load())
	}
	if storage.requests.Load() != 0 || e.graphQL.Load() == 0 {
		t.Fatalf("no-change rerun: %d downloads from storage, %d GraphQL queries", storage.requests.Load(), e.graphQL.Load())
	}
	rep = execAchilles(t, dir, env, "", "report", "--db", db, "-f", "json", "--no-redact")
	if n := len(decodeFindings(t, rep)); n != len(want) {
		t.Fatalf("after the rerun the database holds %d findings, want %d", n, len(want))
	}

	// gists belong to users, not repositories: a sweep says so and reads
	// the rest.
	gists := append([]string{}, args...)
	for i, a := range gists {
		if a == "all" {
			gists[i] = "issues,gists"
		}
	}
	r = execAchilles(t, dir, env, "", gists...)
	if r.code != 0 || !strings.Contains(r.stderr, "--include gists: gists belong to users") {
		t.Fatalf("sweep --include issues,gists: exit %d\n%s", r.code, r.stderr)
	}
}

// sweep --github-user --include gists reads the user's gists at every
// revision into the database; a rerun without changes asks for them only
// conditionally and downloads nothing again.
func TestSweepUserGists(t *testing.T) {
	keys := plantedAWSKeys(nKeys)
	storage := newGHStorage(t, keys)
	g := &fakeGitHub{keys: keys, storage: storage.URL}
	g.limited.Store(true)
	var gistRequests, gistConditional atomic.Int64
	e := &etagged{next: g}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/gists/") || strings.HasSuffix(r.URL.Path, "/gists") {
			gistRequests.Add(1)
			if r.Header.Get("If-None-Match") != "" {
				gistConditional.Add(1)
			}
		}
		e.ServeHTTP(w, r)
	}))
	defer api.Close()
	dir := t.TempDir()
	env := append(os.Environ(), "ACHILLES_CONFIG=", "GITHUB_TOKEN="+ghTestToken, "HOME="+dir)
	db := dir + "/sweep.db"
	args := []string{"sweep", "--github-user", "acme", "--github-api-url", api.URL, "--include", "gists", "--db", db,
		"--cache", dir + "/cache", "--no-progress", "--exit-code", "0"}
	r := execAchilles(t, dir, env, "", args...)
	if r.code != 0 {
		t.Fatalf("sweep: exit %d\n%s", r.code, r.stderr)
	}
	if storage.sawToken.Load() {
		t.Fatal("the storage host saw the token")
	}
	stored := func() map[string]finding.Finding {
		rep := execAchilles(t, dir, env, "", "report", "--db", db, "-f", "json", "--no-redact")
		found := map[string]finding.Finding{}
		for _, f := range decodeFindings(t, rep) {
			if f.Kind == finding.KindItem {
				found[f.Secret] = f
			}
		}
		return found
	}
	want := gistItems(keys)
	found := stored()
	for k, origin := range want {
		if f, ok := found[k]; !ok || f.Item == nil || *f.Item != origin {
			t.Fatalf("%s: stored as %+v (%v), want %+v\n%s", k, f.Item, ok, origin, r.stderr)
		}
	}
	if len(found) != len(want) {
		t.Fatalf("the database holds %d item secrets, want %d", len(found), len(want))
	}
	gistRequests.Store(0)
	gistConditional.Store(0)
	storage.requests.Store(0)
	if r = execAchilles(t, dir, env, "", args...); r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.stderr)
	}
	if gistRequests.Load() == 0 || gistConditional.Load() != gistRequests.Load() || storage.requests.Load() != 0 {
		t.Fatalf("no-change rerun: %d gist requests, %d conditional, %d downloads", gistRequests.Load(), gistConditional.Load(), storage.requests.Load())
	}
	if n := len(stored()); n != len(want) {
		t.Fatalf("after the rerun the database holds %d item secrets, want %d", n, len(want))
	}
}
