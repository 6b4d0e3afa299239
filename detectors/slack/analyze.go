package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// Analyzer maps what a Slack token reaches: its workspace and user (or
// bot), its OAuth scopes (the X-OAuth-Scopes header), the channels it can
// see (conversations.list, private ones counted apart) and, where the
// users:read scope allows, how many members the workspace has.
//
// Docs: https://api.slack.com/methods/auth.test,
// https://api.slack.com/methods/conversations.list,
// https://api.slack.com/methods/users.list,
// https://api.slack.com/docs/pagination (cursor pagination).
type Analyzer struct{}

// ID implements analyze.Analyzer: the Slack verifier's id.
func (Analyzer) ID() string { return "slack" }

// pageLimit is the per-page size asked of Slack's cursor listings; Slack
// recommends no more than 200.
const pageLimit = 200

type identity struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
	URL    string `json:"url"`
	Team   string `json:"team"`
	User   string `json:"user"`
	TeamID string `json:"team_id"`
	BotID  string `json:"bot_id"`
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	var me identity
	resp, err := analyze.GetJSON(ctx, c, req, a.call(req, http.MethodPost, "/api/auth.test"), &me)
	if err != nil {
		return nil, errors.New(verify.Scrub("Slack auth.test: "+err.Error(), req))
	}
	if !me.OK {
		return nil, errors.New(verify.Scrub("Slack auth.test: "+me.Error, req))
	}
	var scopes []string
	for _, s := range strings.Split(resp.Header.Get("X-OAuth-Scopes"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			scopes = append(scopes, s)
		}
	}
	has := func(s string) bool {
		for _, x := range scopes {
			if x == s {
				return true
			}
		}
		return false
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: tokenKind(req.Secret, me.BotID)}
	who := me.User
	if me.BotID != "" {
		who += " (bot " + me.BotID + ")"
	}
	team := me.Team
	if me.TeamID != "" {
		team += " (" + me.TeamID + ")"
	}
	rep.Identity = verify.Scrub(who+" in "+team, req)
	rep.Resources = append(rep.Resources, analyze.Resource{Kind: "workspace", Name: verify.Scrub(team, req), Permissions: scopes})

	// Channels the token can see; private ones it sees are the ones it is
	// in (or, for a user token, the user is in).
	var public, private, joined int
	err = a.cursor(ctx, c, req, "/api/conversations.list?types=public_channel,private_channel&exclude_archived=true", func(body []byte) error {
		var page struct {
			Channels []struct {
				ID        string `json:"id"`
				Name      string `json:"name"`
				IsPrivate bool   `json:"is_private"`
				IsMember  bool   `json:"is_member"`
			} `json:"channels"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return err
		}
		for _, ch := range page.Channels {
			if ch.IsPrivate {
				private++
			} else {
				public++
			}
			if ch.IsMember && !ch.IsPrivate {
				joined++
			}
			if !ch.IsPrivate && !ch.IsMember {
				continue // counted, not listed: every public channel would be
			}
			kind := "channel"
			var perms []string
			if ch.IsPrivate {
				kind = "private channel"
				if has("groups:history") {
					perms = append(perms, "groups:history")
				}
			} else if has("channels:history") {
				perms = append(perms, "channels:history")
			}
			if ch.IsMember {
				perms = append(perms, "member")
				if has("chat:write") {
					perms = append(perms, "chat:write")
				}
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: kind, Name: verify.Scrub("#"+ch.Name+" ("+ch.ID+")", req), Permissions: perms})
		}
		return nil
	})
	rep.Partial = append(rep.Partial, partial("conversations.list", err, req)...)

	members := -1
	if has("users:read") {
		members = 0
		err = a.cursor(ctx, c, req, "/api/users.list", func(body []byte) error {
			var page struct {
				Members []struct {
					Deleted bool `json:"deleted"`
				} `json:"members"`
			}
			if err := json.Unmarshal(body, &page); err != nil {
				return err
			}
			for _, m := range page.Members {
				if !m.Deleted {
					members++
				}
			}
			return nil
		})
		rep.Partial = append(rep.Partial, partial("users.list", err, req)...)
	}

	rep.Severity = severity(scopes, private)
	rep.Worst = verify.Scrub(worst(rep.Severity, scopes, me.Team, public, private, joined, members, has("groups:history")), req)
	rep.Sort()
	return rep, nil
}

// errCut says a listing stopped at analyze.MaxPages.
var errCut = errors.New("stopped after the page limit")

// slackError is an ok:false answer to a listing.
type slackError struct{ code, needed string }

func (e *slackError) Error() string {
	if e.needed != "" {
		return e.code + " (needs " + e.needed + ")"
	}
	return e.code
}

func partial(method string, err error, req verify.Request) []string {
	if err == nil {
		return nil
	}
	if errors.Is(err, errCut) {
		return []string{verify.Scrub(fmt.Sprintf("%s: stopped after %d pages", method, analyze.MaxPages), req)}
	}
	return []string{verify.Scrub(method+": "+err.Error(), req)}
}

// cursor follows a Slack listing's response_metadata.next_cursor, up to
// analyze.MaxPages pages of pageLimit items.
func (a Analyzer) cursor(ctx context.Context, c *verify.Client, req verify.Request, path string, each func([]byte) error) error {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	next := ""
	for page := 0; ; page++ {
		if page == analyze.MaxPages {
			return errCut
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		p := fmt.Sprintf("%s%slimit=%d", path, sep, pageLimit)
		if next != "" {
			p += "&cursor=" + url.QueryEscape(next)
		}
		var head struct {
			OK               bool   `json:"ok"`
			Error            string `json:"error"`
			Needed           string `json:"needed"`
			ResponseMetadata struct {
				NextCursor string `json:"next_cursor"`
			} `json:"response_metadata"`
		}
		resp, err := analyze.GetJSON(ctx, c, req, a.call(req, http.MethodGet, p), &head)
		if err != nil {
			return err
		}
		if !head.OK {
			return &slackError{code: head.Error, needed: head.Needed}
		}
		if err := each(resp.Body); err != nil {
			return err
		}
		if next = head.ResponseMetadata.NextCursor; next == "" {
			return nil
		}
	}
}

func (a Analyzer) call(req verify.Request, method, path string) verify.Call {
	return verify.Call{
		Verifier: a.ID(), Official: official, Method: method, Path: path,
		Header: map[string]string{"Authorization": "Bearer " + req.Secret},
	}
}

func tokenKind(tok, botID string) string {
	switch {
	case strings.HasPrefix(tok, "xoxb-") || botID != "":
		return "bot token"
	case strings.HasPrefix(tok, "xoxp-"):
		return "user token"
	case strings.HasPrefix(tok, "xoxe"):
		return "refreshable token"
	case strings.HasPrefix(tok, "xapp-"):
		return "app-level token"
	}
	return "token"
}

// severity ranks the scopes: admin scopes administer the workspace;
// any :write scope (or a legacy client/post scope) changes data; history,
// file and private-channel reads read private data.
func severity(scopes []string, private int) analyze.Severity {
	sev := analyze.SeverityInfo
	raise := func(s analyze.Severity) {
		if s > sev {
			sev = s
		}
	}
	for _, s := range scopes {
		switch {
		case s == "admin" || strings.HasPrefix(s, "admin."):
			raise(analyze.SeverityAdmin)
		case strings.Contains(s, ":write") || s == "client" || s == "post":
			raise(analyze.SeverityWrite)
		case strings.HasSuffix(s, ":history") || s == "files:read" || s == "read" || s == "groups:read" || s == "im:read" || s == "mpim:read" || s == "users:read.email":
			raise(analyze.SeverityRead)
		}
	}
	if private > 0 {
		raise(analyze.SeverityRead)
	}
	return sev
}

func worst(sev analyze.Severity, scopes []string, team string, public, private, joined, members int, history bool) string {
	where := "in team " + team
	var reach []string
	if private > 0 && history {
		reach = append(reach, fmt.Sprintf("reads %d private channels", private))
	} else if private > 0 {
		reach = append(reach, fmt.Sprintf("sees %d private channels", private))
	}
	reach = append(reach, fmt.Sprintf("sees %d public channels (member of %d)", public, joined))
	if members >= 0 {
		reach = append(reach, fmt.Sprintf("lists %d members", members))
	}
	line := strings.Join(reach, ", ") + " " + where
	switch sev {
	case analyze.SeverityAdmin:
		return "administers the workspace (admin scopes); " + line
	case analyze.SeverityWrite:
		for _, s := range scopes {
			if s == "chat:write" || s == "client" || s == "post" {
				return "can post messages; " + line
			}
		}
		return "can change workspace data (write scopes); " + line
	}
	return line
}
