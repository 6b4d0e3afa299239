package gitlab_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/scanner/hosted"
	"github.com/achilles-sec/achilles/scanner/hosted/gitlab"
	"github.com/achilles-sec/achilles/scanner/hosted/gitlab/gitlabtest"
)

type run struct {
	items  []hosted.Item
	texts  map[string]string // by path
	warns  []error
	sleeps []time.Duration
	err    error
}

func newSource(fake *gitlabtest.Server, st *hosted.State, r *run) *gitlab.Source {
	h := http.Header{}
	h.Set("PRIVATE-TOKEN", gitlabtest.Token)
	var mu sync.Mutex
	api := &hosted.API{Base: fake.URL + "/api/v4", Header: h, Credentials: []string{"PRIVATE-TOKEN"},
		Rate: hosted.GitLabRate, State: st,
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			r.sleeps = append(r.sleeps, d)
			mu.Unlock()
			return nil
		}}
	inc, _ := gitlab.ParseInclude([]string{"all"})
	return &gitlab.Source{API: api, Include: inc, MaxDownload: 1 << 20}
}

func collect(t *testing.T, list func(context.Context, func(error), func(hosted.Item) error) error) *run {
	t.Helper()
	r := &run{texts: map[string]string{}}
	r.err = list(context.Background(), func(err error) { r.warns = append(r.warns, err) }, func(it hosted.Item) error {
		text := string(it.Text)
		if it.File != nil {
			b := make([]byte, it.Size)
			if _, err := it.File.ReadAt(b, 0); err != nil {
				t.Fatal(err)
			}
			text = string(b)
			it.Blob().Done()
		}
		path := it.Path
		if path == "" {
			path = it.Origin.URL
		}
		r.texts[path] = text
		r.items = append(r.items, it)
		return nil
	})
	return r
}

// TestGitLabProject: every kind of a project is read (issues over two
// pages by X-Next-Page, MR notes without system notes, the snippet's file,
// the job's log through a storage redirect that gets no PRIVATE-TOKEN), a
// 429 with Retry-After is waited out through API.Sleep, and a second run
// with the first run's State makes only conditional requests and emits
// nothing.
func TestGitLabProject(t *testing.T) {
	fake := gitlabtest.New(t)
	st := hosted.NewState(nil)
	r := &run{}
	src := newSource(fake, st, r)
	got := collect(t, src.Project(gitlabtest.Project))
	got.sleeps = r.sleeps
	if got.err != nil || len(got.warns) > 0 {
		t.Fatalf("err %v warnings %v", got.err, got.warns)
	}
	if len(got.sleeps) != 1 || got.sleeps[0] != 3*time.Second {
		t.Errorf("sleeps %v, want one of 3s (Retry-After)", got.sleeps)
	}
	want := map[string]struct{ typ, author, secret string }{
		fake.WebURL("group/proj/-/issues/2"):                 {"issue", "alice", gitlabtest.IssueKey},
		fake.WebURL("group/proj/-/issues/1"):                 {"issue", "alice", ""},
		fake.WebURL("group/proj/-/merge_requests/3"):         {"merge-request", "alice", ""},
		fake.WebURL("group/proj/-/merge_requests/3#note_12"): {"note", "bob", gitlabtest.NoteKey},
		fake.WebURL("group/proj/-/snippets/7/deploy.sh"):     {"snippet", "carol", gitlabtest.SnippetKey},
		fake.WebURL("group/proj/-/jobs/42"):                  {"job-log", "dave", gitlabtest.JobKey},
	}
	if len(got.items) != len(want) {
		t.Errorf("%d items, want %d: %v", len(got.items), len(want), got.texts)
	}
	for _, it := range got.items {
		path := it.Path
		if path == "" {
			path = it.Origin.URL
		}
		w, ok := want[path]
		if !ok {
			t.Errorf("unexpected item %s", path)
			continue
		}
		if it.Origin.Type != w.typ || it.Origin.Author != w.author || it.Origin.Date == "" {
			t.Errorf("%s: origin %+v, want type %s author %s", path, it.Origin, w.typ, w.author)
		}
		if !strings.Contains(got.texts[path], w.secret) {
			t.Errorf("%s: text %q lacks %q", path, got.texts[path], w.secret)
		}
		if strings.Contains(got.texts[path], gitlabtest.SystemKey) {
			t.Errorf("%s: a system note was read", path)
		}
	}
	if fake.StorageHits != 1 || fake.StorageTokens != 0 {
		t.Errorf("storage: %d requests, %d with PRIVATE-TOKEN; want 1 and 0", fake.StorageHits, fake.StorageTokens)
	}

	// The second run, with the first run's marks.
	fake.Unconditional = nil
	before := len(fake.Requests)
	r2 := &run{}
	again := collect(t, newSource(fake, hosted.NewState(st.Save()), r2).Project(gitlabtest.Project))
	if again.err != nil || len(again.items) != 0 || len(again.warns) != 0 {
		t.Errorf("second run: err %v, %d items, warnings %v", again.err, len(again.items), again.warns)
	}
	if len(fake.Unconditional) != 0 || len(fake.Requests) == before {
		t.Errorf("second run: unconditional requests %v (of %d)", fake.Unconditional, len(fake.Requests)-before)
	}
}

// TestGitLabTargets: a group lists its projects; one issue's URL reads
// that issue only; a missing project is an error; bad targets are refused.
func TestGitLabTargets(t *testing.T) {
	fake := gitlabtest.New(t)
	fake.RateLimitOnce = false
	src := newSource(fake, nil, &run{})
	g := collect(t, src.Target(gitlab.Target{Path: "group", Group: true}))
	if g.err != nil || len(g.items) != 6 {
		t.Errorf("group: err %v, %d items", g.err, len(g.items))
	}
	tg, err := gitlab.ParseTarget(fake.WebURL("group/proj/-/merge_requests/3"))
	if err != nil || tg.Path != "group/proj" || tg.Collection != "merge_requests" || tg.IID != 3 || tg.Instance != fake.URL {
		t.Fatalf("ParseTarget: %+v %v", tg, err)
	}
	one := collect(t, src.Target(tg))
	if one.err != nil || len(one.items) != 2 {
		t.Errorf("one MR: err %v, %d items", one.err, len(one.items))
	}
	missing := collect(t, src.Target(gitlab.Target{Path: "group/nope"}))
	if missing.err == nil {
		t.Error("a missing project is not an error")
	}
	for _, bad := range []string{"", "/", "group/../x", "https://gitlab.example/g/p/-/pipelines/3", "https://u:p@gitlab.example/g/p"} {
		if _, err := gitlab.ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) accepted", bad)
		}
	}
	if p, err := gitlab.ParseTarget("group/sub/proj"); err != nil || p.Path != "group/sub/proj" || p.Instance != "" {
		t.Errorf("ParseTarget path: %+v %v", p, err)
	}
}

// TestGitLabIncomplete: a 404 on one MR's notes is a warning, the rest is
// read, the result wraps ErrIncomplete (Target drops it), and the next run
// reads that MR's page and the MR again while the finished pages stay
// conditional.
func TestGitLabIncomplete(t *testing.T) {
	fake := gitlabtest.New(t)
	fake.RateLimitOnce = false
	fake.FailNotes = true
	st := hosted.NewState(nil)
	src := newSource(fake, st, &run{})
	got := collect(t, src.Project(gitlabtest.Project))
	if !errors.Is(got.err, hosted.ErrIncomplete) || len(got.warns) != 1 || !strings.Contains(got.warns[0].Error(), "notes") {
		t.Fatalf("err %v, warnings %v", got.err, got.warns)
	}
	if len(got.items) != 5 {
		t.Errorf("%d items, want 5 (all but the note)", len(got.items))
	}
	if err := collect(t, src.Target(gitlab.Target{Path: gitlabtest.Project})).err; err != nil {
		t.Errorf("Target: %v", err)
	}

	fake.FailNotes = false
	fake.Unconditional = nil
	again := collect(t, newSource(fake, hosted.NewState(st.Save()), &run{}).Project(gitlabtest.Project))
	if again.err != nil || len(again.warns) != 0 {
		t.Fatalf("second run: err %v warnings %v", again.err, again.warns)
	}
	if len(again.items) != 2 {
		t.Errorf("second run: %d items, want the MR and its note", len(again.items))
	}
	for _, p := range fake.Unconditional {
		if !strings.Contains(p, "merge_requests") {
			t.Errorf("second run: unconditional request %s", p)
		}
	}
}
