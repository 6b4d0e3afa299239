package targets

import (
	"strings"
	"testing"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

func TestListedCredentialsLeaveTheURL(t *testing.T) {
	ts, err := Read(strings.NewReader("https://bot:Pw-list-1@git.example/o/r.git\nhttps://Tok-list-2@git.example/o/s.git\nssh://git:Pw-list-3@git.example/o/t.git\nssh://git@git.example/o/u.git\n"), "/base")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://git.example/o/r.git", "https://git.example/o/s.git", "ssh://git@git.example/o/t.git", "ssh://git@git.example/o/u.git"}
	for i, tg := range ts {
		if tg.URL != want[i] || strings.Contains(tg.Key, "list") {
			t.Errorf("line %d: URL %q key %q, want URL %q", i+1, tg.URL, tg.Key, want[i])
		}
	}
	if a, ok := ts[0].Auth.(*githttp.BasicAuth); !ok || a.Username != "bot" || a.Password != "Pw-list-1" {
		t.Errorf("line 1 auth %#v", ts[0].Auth)
	}
	if a, ok := ts[1].Auth.(*githttp.BasicAuth); !ok || a.Username != "Tok-list-2" {
		t.Errorf("line 2 auth %#v", ts[1].Auth)
	}
	if a, ok := ts[2].Auth.(*gitssh.Password); !ok || a.User != "git" || a.Password != "Pw-list-3" {
		t.Errorf("line 3 auth %#v", ts[2].Auth)
	}
	if ts[3].Auth != nil {
		t.Errorf("line 4 (no password) auth %#v", ts[3].Auth)
	}
}

func TestCloneURLsFromAnAPI(t *testing.T) {
	public := newCloneRule("https://api.github.com", "github.com")
	ghe := newCloneRule("https://ghe.example/api/v3", "github.com")
	loop := newCloneRule("http://127.0.0.1:8080", "gitlab.com")
	for _, c := range []struct {
		rule cloneRule
		url  string
		ok   bool
	}{
		{public, "https://github.com/acme/r.git", true},
		{public, "https://github.com:443/acme/r.git", true},
		{public, "ssh://git@github.com/acme/r.git", true},
		{public, "https://api.github.com/acme/r.git", false},
		{public, "https://evil.example/acme/r.git", false},
		{public, "http://github.com/acme/r.git", false},
		{public, "file:///etc/repo.git", false},
		{public, "/home/me/repo.git", false},
		{public, "git@github.com:acme/r.git", false},
		{public, "https://x:y@github.com/acme/r.git", false},
		{ghe, "https://ghe.example/acme/r.git", true},
		{ghe, "https://github.com/acme/r.git", false},
		{loop, "http://127.0.0.1:8080/g/p.git", true},
		{loop, "http://127.0.0.1:9090/g/p.git", false},
		{loop, "https://127.0.0.1:8080/g/p.git", true},
	} {
		if why := c.rule.check(c.url); (why == "") != c.ok {
			t.Errorf("%s from %s: refusal %q, want allowed %v", c.url, c.rule.host, why, c.ok)
		}
	}
	tg := public.target("file:///etc/repo.git", "acme/r", "github", "x-access-token", "tok")
	if tg.Refused == "" || tg.Auth != nil || tg.Key != "github.com/acme/r" {
		t.Fatalf("refused target %+v", tg)
	}
}
