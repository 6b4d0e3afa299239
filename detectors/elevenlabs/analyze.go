// Package elevenlabs maps what a leaked ElevenLabs API key can reach: the
// account's subscription and character quota it spends, its own voices,
// and its generated speech history, as far as the key's permissions allow.
package elevenlabs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// official is the API host the "elevenlabs" verifier uses.
const official = "https://api.elevenlabs.io"

// Analyzer maps an API key, restricted or not.
//
// Docs: https://elevenlabs.io/docs/api-reference/user/get (GET /v1/user,
// needs user_read), https://elevenlabs.io/docs/api-reference/voices/search
// (GET /v1/voices, voices_read), https://elevenlabs.io/docs/api-reference/history/list
// (GET /v1/history, speech_history_read). A key without a permission is
// answered 401 with detail.status "missing_permissions"; an invalid key
// with "invalid_api_key".
type Analyzer struct{}

// ID implements analyze.Analyzer.
func (Analyzer) ID() string { return "elevenlabs" }

type detail struct {
	Detail struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	} `json:"detail"`
}

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	call := func(path string) verify.Call {
		return verify.Call{Verifier: a.ID(), Official: official, Path: path, Header: map[string]string{"xi-api-key": req.Secret}}
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "API key"}
	var refused []string
	// get reads one endpoint; it reports whether the answer was read, and
	// fails only on an invalid key.
	get := func(label, path string, v any) (bool, error) {
		resp, err := analyze.GetJSON(ctx, c, req, call(path), v)
		if err == nil {
			return true, nil
		}
		if resp != nil && resp.Status == http.StatusUnauthorized {
			var d detail
			_ = json.Unmarshal(resp.Body, &d)
			if d.Detail.Status == "missing_permissions" {
				refused = append(refused, label)
				return false, nil
			}
			return false, errors.New("elevenlabs: the key is not valid (401 from " + path + ")")
		}
		rep.Partial = append(rep.Partial, label+": "+verify.Scrub(err.Error(), req))
		return false, nil
	}

	var user struct {
		UserID       string `json:"user_id"`
		FirstName    string `json:"first_name"`
		Subscription struct {
			Tier           string `json:"tier"`
			Status         string `json:"status"`
			CharacterCount int64  `json:"character_count"`
			CharacterLimit int64  `json:"character_limit"`
		} `json:"subscription"`
	}
	readUser, err := get("user", "/v1/user", &user)
	if err != nil {
		return nil, err
	}
	var voices struct {
		Voices []struct {
			VoiceID  string `json:"voice_id"`
			Name     string `json:"name"`
			Category string `json:"category"`
		} `json:"voices"`
	}
	readVoices, err := get("voices", "/v1/voices", &voices)
	if err != nil {
		return nil, err
	}
	var history struct {
		History []json.RawMessage `json:"history"`
		HasMore bool              `json:"has_more"`
	}
	readHistory, err := get("speech history", "/v1/history?page_size=1", &history)
	if err != nil {
		return nil, err
	}
	if !readUser && !readVoices && !readHistory && len(refused) == 0 {
		return nil, fmt.Errorf("elevenlabs: nothing could be read (%s)", strings.Join(rep.Partial, "; "))
	}

	parts := []string{}
	if readUser {
		rep.Identity = verify.Scrub(user.UserID, req)
		s := user.Subscription
		rep.Resources = append(rep.Resources, analyze.Resource{
			Kind: "subscription", Name: fmt.Sprintf("%s (%s), %d of %d characters used", s.Tier, s.Status, s.CharacterCount, s.CharacterLimit),
			Permissions: []string{"spend"},
		})
		if left := s.CharacterLimit - s.CharacterCount; left > 0 {
			parts = append(parts, fmt.Sprintf("spend the %d characters left on the %s subscription", left, s.Tier))
		}
	}
	own := 0
	for _, v := range voices.Voices {
		if v.Category == "premade" {
			continue
		}
		own++
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "voice", Name: verify.Scrub(v.Name+" ("+v.VoiceID+")", req), Permissions: []string{"read", v.Category}})
	}
	if own > 0 {
		parts = append(parts, fmt.Sprintf("use the account's %d own voices", own))
	}
	if readHistory {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "speech history", Name: "generated audio", Permissions: []string{"read"}})
		if len(history.History) > 0 {
			parts = append(parts, "read its generated speech history")
		}
	}
	if len(refused) > 0 {
		rep.Kind = "restricted API key (refused: " + strings.Join(refused, ", ") + ")"
	}
	if len(parts) == 0 {
		rep.Severity = analyze.SeverityInfo
		rep.Worst = "live, but none of the listings asked was readable"
	} else {
		rep.Severity = analyze.SeverityRead
		rep.Worst = "can " + strings.Join(parts, ", ")
	}
	rep.Sort()
	return rep, nil
}
