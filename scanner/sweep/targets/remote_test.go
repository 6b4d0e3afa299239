package targets

import (
	"strings"
	"testing"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

func TestIsRemote(t *testing.T) {
	for s, want := range map[string]bool{
		"https://github.com/acme/app.git": true,
		"HTTP://127.0.0.1:8080/app.git":   true,
		"ssh://git@host:2222/acme/app":    true,
		"git+ssh://host/acme/app":         true,
		"git@github.com:acme/app.git":     true,
		"deploy@host:/srv/app.git":        true,
		"file:///srv/app.git":             false,
		"/srv/app.git":                    false,
		"./app":                           false,
		".":                               false,
		"app:branch":                      false,
		"dir/a@b:c":                       false,
		"C:\\repos\\app":                  false,
	} {
		if got := IsRemote(s); got != want {
			t.Errorf("IsRemote(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestFromURLMovesCredentialsOut(t *testing.T) {
	tg := FromURL(" https://dev:pa55@git.example.com/acme/app.git ")
	if tg.URL != "https://git.example.com/acme/app.git" || strings.Contains(tg.Key, "pa55") || tg.Key != "git.example.com/acme/app" {
		t.Fatalf("%+v", tg)
	}
	if a, ok := tg.Auth.(*githttp.BasicAuth); !ok || a.Username != "dev" || a.Password != "pa55" {
		t.Fatalf("auth %#v", tg.Auth)
	}
	if tg := FromURL("git@github.com:acme/app.git"); tg.Auth != nil || tg.Key != "github.com/acme/app" {
		t.Fatalf("%+v", tg)
	}
}
