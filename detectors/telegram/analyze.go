// Package telegram analyzes Telegram bot tokens. Its verifier is declared
// in the provider catalogue (rules/default, [[verify.http]] id "telegram").
package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

const official = "https://api.telegram.org"

// Analyzer maps what a Telegram bot token can do: act as the bot (getMe
// names it and says whether it reads every group message) and where its
// updates go (getWebhookInfo: a webhook URL, or none, when updates wait to
// be fetched with getUpdates by whoever holds the token).
//
// Docs: https://core.telegram.org/bots/api#making-requests (the token in
// the path), https://core.telegram.org/bots/api#getme,
// https://core.telegram.org/bots/api#getwebhookinfo,
// https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this (429).
type Analyzer struct{}

// ID implements analyze.Analyzer: the id of Telegram's declared verifier.
func (Analyzer) ID() string { return "telegram" }

type answer struct {
	OK          bool            `json:"ok"`
	Description string          `json:"description"`
	Result      json.RawMessage `json:"result"`
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	var me struct {
		ID                      int64  `json:"id"`
		IsBot                   bool   `json:"is_bot"`
		FirstName               string `json:"first_name"`
		Username                string `json:"username"`
		CanJoinGroups           bool   `json:"can_join_groups"`
		CanReadAllGroupMessages bool   `json:"can_read_all_group_messages"`
		SupportsInlineQueries   bool   `json:"supports_inline_queries"`
	}
	if err := a.get(ctx, c, req, "getMe", &me); err != nil {
		if analyze.IsStatus(err, http.StatusUnauthorized, http.StatusNotFound) {
			return nil, errors.New("Telegram: the bot token was rejected")
		}
		return nil, errors.New(verify.Scrub("Telegram getMe: "+err.Error(), req))
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "bot token", Severity: analyze.SeverityWrite}
	rep.Identity = verify.Scrub(fmt.Sprintf("@%s (%s, id %d)", me.Username, me.FirstName, me.ID), req)
	perms := []string{"send messages as the bot"}
	if me.CanJoinGroups {
		perms = append(perms, "can join groups")
	}
	if me.CanReadAllGroupMessages {
		perms = append(perms, "reads all group messages")
	}
	if me.SupportsInlineQueries {
		perms = append(perms, "inline queries")
	}
	rep.Resources = append(rep.Resources, analyze.Resource{Kind: "bot", Name: verify.Scrub("@"+me.Username, req), Permissions: perms})

	var hook struct {
		URL                string `json:"url"`
		PendingUpdateCount int    `json:"pending_update_count"`
	}
	updates := ""
	if err := a.get(ctx, c, req, "getWebhookInfo", &hook); err != nil {
		rep.Partial = append(rep.Partial, verify.Scrub("getWebhookInfo: "+err.Error(), req))
	} else if hook.URL == "" {
		updates = fmt.Sprintf("; no webhook: the holder can fetch its %d pending updates (messages sent to the bot)", hook.PendingUpdateCount)
	} else {
		updates = fmt.Sprintf("; can redirect its webhook (now %s) to receive the messages sent to the bot", hook.URL)
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "webhook", Name: verify.Scrub(hook.URL, req), Permissions: []string{"setWebhook"}})
	}
	reads := ""
	if me.CanReadAllGroupMessages {
		reads = " and reads every message in its groups (privacy mode off)"
	}
	rep.Worst = verify.Scrub(fmt.Sprintf("can post as Telegram bot @%s%s%s", me.Username, reads, updates), req)
	rep.Sort()
	return rep, nil
}

// get calls a Bot API method and decodes its result; ok:false is an error
// with Telegram's description.
func (a Analyzer) get(ctx context.Context, c *verify.Client, req verify.Request, method string, v any) error {
	var ans answer
	resp, err := analyze.GetJSON(ctx, c, req, verify.Call{Verifier: a.ID(), Official: official, Path: "/bot" + req.Secret + "/" + method}, &ans)
	if err != nil {
		if resp != nil {
			_ = json.Unmarshal(resp.Body, &ans)
			if ans.Description != "" {
				return fmt.Errorf("%w (%s)", err, ans.Description)
			}
		}
		return err
	}
	if !ans.OK {
		return errors.New(ans.Description)
	}
	return json.Unmarshal(ans.Result, v)
}
