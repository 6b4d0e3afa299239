package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// RuleInfo describes a rule for formats that list rules (SARIF).
type RuleInfo struct {
	ID          string
	Description string
	Confidence  string
	Tags        []string
	Verifiable  bool
}

// sarifWriter writes SARIF 2.1.0 for code-scanning services. Secrets are
// always redacted in SARIF: the file is uploaded to a third party.
type sarifWriter struct {
	version    string
	rules      []RuleInfo
	incomplete bool
	repo       *Repository
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Results     []sarifResult     `json:"results"`
	Invocations []sarifInvocation `json:"invocations"`
	// VCS says which repository and commit the relative paths of the
	// results are in.
	VCS []sarifVCS `json:"versionControlProvenance,omitempty"`
}

type sarifVCS struct {
	RepositoryURI string `json:"repositoryUri"`
	RevisionID    string `json:"revisionId,omitempty"`
	Branch        string `json:"branch,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool `json:"executionSuccessful"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	ShortDescription sarifText      `json:"shortDescription"`
	FullDescription  sarifText      `json:"fullDescription"`
	Help             sarifText      `json:"help"`
	DefaultConfig    sarifConfig    `json:"defaultConfiguration"`
	Properties       map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int        `json:"startLine"`
	StartColumn int        `json:"startColumn,omitempty"`
	Snippet     *sarifText `json:"snippet,omitempty"`
}

func (s sarifWriter) write(w io.Writer, l *finding.List) error {
	fs, err := l.Slice()
	if err != nil {
		return err
	}
	rules := s.rules
	known := map[string]bool{}
	for _, r := range rules {
		known[r.ID] = true
	}
	for _, f := range fs {
		if !known[f.RuleID] {
			known[f.RuleID] = true
			rules = append(rules, RuleInfo{ID: f.RuleID, Description: f.Description, Confidence: f.Confidence, Tags: f.Tags})
		}
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	index := map[string]int{}
	run := sarifRun{
		Tool:        sarifTool{Driver: sarifDriver{Name: "achilles", Version: s.version, InformationURI: "https://github.com/achilles-sec/achilles"}},
		Results:     []sarifResult{},
		Invocations: []sarifInvocation{{ExecutionSuccessful: !s.incomplete}},
	}
	if s.repo != nil && s.repo.URI != "" {
		run.VCS = []sarifVCS{{RepositoryURI: s.repo.URI, RevisionID: s.repo.Revision, Branch: s.repo.Branch}}
	}
	for i, r := range rules {
		index[r.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:               r.ID,
			Name:             ruleName(r.ID),
			ShortDescription: sarifText{Text: r.Description},
			FullDescription:  sarifText{Text: r.Description + " leaked in source or history."},
			Help:             sarifText{Text: helpText(r, false), Markdown: helpText(r, true)},
			DefaultConfig:    sarifConfig{Level: level(r.Confidence)},
			Properties: map[string]any{
				"tags":              uniqueTags(append([]string{"security", "secret"}, r.Tags...)),
				"precision":         precision(r.Confidence),
				"security-severity": severity(r.Confidence, ""),
			},
		})
	}
	for _, f := range fs {
		res := sarifResult{
			RuleID:    f.RuleID,
			RuleIndex: index[f.RuleID],
			Level:     level(f.Confidence),
			Message:   sarifText{Text: message(f)},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri(f.Path)}}}},
			PartialFingerprints: map[string]string{
				"achillesFingerprint/v1": f.Fingerprint,
			},
			Properties: map[string]any{"confidence": f.Confidence},
		}
		if f.Line > 0 {
			res.Locations[0].PhysicalLocation.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Column, Snippet: &sarifText{Text: f.Match}}
		}
		if f.Kind != "" {
			res.Properties["locationKind"] = string(f.Kind)
		}
		for _, o := range f.Origin() {
			if o.Name != "message" { // the commit's message is in the result's message
				res.Properties[o.Name] = o.Value
			}
		}
		if p, known := f.StillPresent(); known {
			res.Properties["stillPresent"] = p
		}
		if f.Analysis != nil {
			res.Properties["analysis"] = f.Analysis
		}
		if f.Verification != nil {
			res.Properties["verification"] = f.Verification
			if f.Verification.Status == "live" {
				res.Level = "error"
				res.Properties["security-severity"] = severity(f.Confidence, "live")
			}
		}
		run.Results = append(run.Results, res)
	}
	jc := &jsonControls{w: w}
	enc := json.NewEncoder(jc)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}); err != nil {
		return err
	}
	return jc.Flush()
}

func message(f finding.Finding) string {
	msg := f.Description + " (" + f.Secret + ")"
	if g := f.Git; g != nil && g.Commit != "" {
		msg += fmt.Sprintf("; first committed in %.12s by %s on %s", g.Commit, g.Author, g.Date)
	}
	if f.Verification != nil && f.Verification.Status == "live" {
		msg += "; the provider says it STILL WORKS: revoke it"
		if a := f.Analysis; a != nil && a.Error == "" && a.Worst != "" {
			msg += " (" + a.Worst + ")"
		}
	}
	return msg
}

func helpText(r RuleInfo, markdown bool) string {
	steps := []string{
		"Revoke or rotate the credential at the provider first: removing it from the code does not remove it from git history.",
		"Replace it with a reference to a secret store or an environment variable.",
		"If the repository is public or widely shared, treat the credential as compromised and review its use.",
	}
	if !markdown {
		return r.Description + ". " + strings.Join(steps, " ")
	}
	out := "**" + r.Description + "**\n\n"
	for i, s := range steps {
		out += fmt.Sprintf("%d. %s\n", i+1, s)
	}
	if r.Verifiable {
		out += "\nRun `achilles ... --verify` to ask the provider whether it still works.\n"
	}
	return out
}

// severity is the CVSS-like score GitHub code scanning ranks alerts by
// (9.0 and up critical, 7.0 high, 4.0 medium, below low): a live key is
// critical; otherwise the rule's confidence decides, so a low-confidence
// generic match does not show as High.
func severity(confidence, status string) string {
	if status == "live" {
		return "9.5"
	}
	switch confidence {
	case "high":
		return "8.0"
	case "medium":
		return "5.5"
	}
	return "3.0"
}

// uniqueTags keeps the first of each tag: SARIF requires rule tags to be
// unique.
func uniqueTags(tags []string) []string {
	seen := map[string]bool{}
	out := tags[:0:0]
	for _, t := range tags {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func level(confidence string) string {
	if confidence == "low" {
		return "warning"
	}
	return "error"
}

func precision(confidence string) string {
	switch confidence {
	case "high":
		return "very-high"
	case "medium":
		return "high"
	}
	return "medium"
}

// ruleName turns "aws-access-key-id" into "AwsAccessKeyId".
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// uri makes a relative path a SARIF URI (forward slashes; archive members'
// "!" kept as is).
func uri(p string) string {
	p = strings.TrimPrefix(strings.ReplaceAll(p, "\\", "/"), "./")
	return (&url.URL{Path: p}).String()
}
