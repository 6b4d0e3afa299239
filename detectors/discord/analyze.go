package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// Analyzer maps what a Discord bot token reaches: the bot's user and the
// servers (guilds) it is in, with the permissions it holds in each, read
// from the guild list's permissions bitfield.
//
// Docs: https://discord.com/developers/docs/resources/user#get-current-user,
// https://discord.com/developers/docs/resources/user#get-current-user-guilds
// (limit up to 200, "after" a guild id),
// https://discord.com/developers/docs/topics/permissions#permissions-bitwise-permission-flags,
// https://discord.com/developers/docs/reference#authentication ("Bot" scheme),
// https://discord.com/developers/docs/topics/rate-limits (429, Retry-After).
type Analyzer struct{}

// ID implements analyze.Analyzer: the id of the bot-token verifier
// declared in the provider catalogue.
func (Analyzer) ID() string { return "discord" }

const (
	officialAPI = "https://discord.com"
	guildLimit  = 200
)

// permissionFlags are the documented flags worth reporting, by bit.
var permissionFlags = []struct {
	bit  uint
	name string
}{
	{1, "KICK_MEMBERS"}, {2, "BAN_MEMBERS"}, {3, "ADMINISTRATOR"}, {4, "MANAGE_CHANNELS"}, {5, "MANAGE_GUILD"},
	{10, "VIEW_CHANNEL"}, {11, "SEND_MESSAGES"}, {13, "MANAGE_MESSAGES"}, {16, "READ_MESSAGE_HISTORY"},
	{17, "MENTION_EVERYONE"}, {28, "MANAGE_ROLES"}, {29, "MANAGE_WEBHOOKS"},
}

var adminFlags = map[string]bool{"ADMINISTRATOR": true, "MANAGE_GUILD": true, "MANAGE_ROLES": true, "BAN_MEMBERS": true, "MANAGE_WEBHOOKS": true}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	var me struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Bot      bool   `json:"bot"`
	}
	if _, err := analyze.GetJSON(ctx, c, req, a.call(req, "/api/v10/users/@me"), &me); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized) {
			return nil, errors.New("Discord: the bot token was rejected (401)")
		}
		return nil, errors.New(verify.Scrub("Discord current user: "+err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "bot token", Identity: verify.Scrub(me.Username+" ("+me.ID+")", req)}
	if !me.Bot {
		rep.Kind = "user token"
	}
	guilds, admin, send := 0, 0, 0
	sev := analyze.SeverityInfo
	after := ""
	for page := 0; ; page++ {
		if page == analyze.MaxPages {
			rep.Partial = append(rep.Partial, fmt.Sprintf("guilds: stopped after %d pages", analyze.MaxPages))
			break
		}
		path := fmt.Sprintf("/api/v10/users/@me/guilds?limit=%d", guildLimit)
		if after != "" {
			path += "&after=" + url.QueryEscape(after)
		}
		var list []struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			Owner       bool   `json:"owner"`
			Permissions string `json:"permissions"`
		}
		if _, err := analyze.GetJSON(ctx, c, req, a.call(req, path), &list); err != nil {
			rep.Partial = append(rep.Partial, verify.Scrub("guilds: "+err.Error(), req))
			break
		}
		for _, g := range list {
			guilds++
			bits, _ := strconv.ParseUint(g.Permissions, 10, 64)
			var perms []string
			isAdmin := g.Owner
			if g.Owner {
				perms = append(perms, "owner")
			}
			for _, f := range permissionFlags {
				if bits&(1<<f.bit) != 0 {
					perms = append(perms, f.name)
					isAdmin = isAdmin || adminFlags[f.name]
				}
			}
			switch {
			case isAdmin:
				admin++
				sev = analyze.SeverityAdmin
			case bits&(1<<11) != 0 || bits&(1<<3) != 0:
				send++
				sev = max(sev, analyze.SeverityWrite)
			case bits&(1<<10) != 0 || bits&(1<<16) != 0:
				sev = max(sev, analyze.SeverityRead)
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "guild", Name: verify.Scrub(g.Name+" ("+g.ID+")", req), Permissions: perms})
		}
		if len(list) < guildLimit {
			break
		}
		after = list[len(list)-1].ID
	}
	rep.Severity = sev
	var parts []string
	if admin > 0 {
		parts = append(parts, fmt.Sprintf("administers %d", admin))
	}
	if send > 0 {
		parts = append(parts, fmt.Sprintf("posts in %d more", send))
	}
	if len(parts) == 0 {
		parts = append(parts, "is a member of")
	}
	rep.Worst = verify.Scrub(fmt.Sprintf("%s %s of %d Discord servers as %s", rep.Kind, strings.Join(parts, " and "), guilds, me.Username), req)
	rep.Sort()
	return rep, nil
}

func (a Analyzer) call(req verify.Request, path string) verify.Call {
	return verify.Call{Verifier: a.ID(), Official: officialAPI, Path: path, Header: map[string]string{"Authorization": "Bot " + req.Secret}}
}
