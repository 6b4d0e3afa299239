// Package plan builds the response plan every report opens with: for each
// live key, whose it is, who exposed it and since when, where it still
// lives, what it reaches (from --analyze) and the steps to take, ordered by
// blast radius. The text and HTML writers print the same plan.
package plan

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// Catalogue tells the plan what the provider catalogue and the revokers
// know; either function may be nil.
type Catalogue struct {
	// Provider names a finding's provider and where its keys are revoked.
	Provider func(ruleID, verifier string) (name, revokeURL string)
	// Revocable tells whether `achilles revoke` can revoke keys of the
	// verifier at the provider.
	Revocable func(verifier string) bool
}

// Entry is what to do about one live key.
type Entry struct {
	// Fingerprint is the first 8 hex digits of the secret's SHA-256.
	Fingerprint string
	RuleID      string
	Provider    string
	Verifier    string
	// Identity is the owner the provider named.
	Identity string
	// Analysis is what the key reaches (nil: not analyzed).
	Analysis *finding.Analysis
	// ExposedBy lists who committed it ("Name <email>"), earliest first.
	ExposedBy []string
	// FirstExposed is the earliest commit date (YYYY-MM-DD); DaysExposed
	// counts the days since.
	FirstExposed string
	DaysExposed  int
	// StillAt lists the paths that hold it now (at HEAD, or the scanned
	// files); Removed counts the places it was removed from.
	StillAt []string
	Removed int
	Revoke  string
	// Revocable: `achilles revoke` can revoke it.
	Revocable bool
	Steps     []string
}

// Build makes the plan of the live keys among the findings, most harmful
// first: by the analysis' severity (admin, write, read, info, not
// analyzed), then the longest exposed.
func Build(fs []finding.Finding, cat Catalogue, now time.Time) []Entry {
	type acc struct {
		e       Entry
		first   time.Time
		authors map[string]time.Time
		still   map[string]bool
	}
	bySecret := map[string]*acc{}
	var order []*acc
	for i := range fs {
		f := &fs[i]
		v := f.Verification
		if v == nil || v.Status != "live" {
			continue
		}
		key := secretKey(f)
		a, ok := bySecret[key]
		if !ok {
			a = &acc{e: Entry{Fingerprint: key[:8], RuleID: f.RuleID, Verifier: v.Verifier, Identity: v.Identity},
				authors: map[string]time.Time{}, still: map[string]bool{}}
			if cat.Provider != nil {
				a.e.Provider, a.e.Revoke = cat.Provider(f.RuleID, v.Verifier)
			}
			if a.e.Provider == "" {
				a.e.Provider = f.RuleID
			}
			a.e.Revocable = cat.Revocable != nil && cat.Revocable(v.Verifier)
			bySecret[key] = a
			order = append(order, a)
		}
		if a.e.Analysis == nil && f.Analysis != nil {
			a.e.Analysis = f.Analysis
		}
		present, known := f.StillPresent()
		switch {
		case !known || present:
			a.still[f.Path] = true
		default:
			a.e.Removed++
		}
		if g := f.Git; g != nil {
			when, _ := time.Parse(time.RFC3339, g.Date)
			if g.Author != "" {
				who := g.Author
				if g.Email != "" {
					who += " <" + g.Email + ">"
				}
				if t, seen := a.authors[who]; !seen || when.Before(t) {
					a.authors[who] = when
				}
			}
			if !when.IsZero() && (a.first.IsZero() || when.Before(a.first)) {
				a.first = when
			}
		}
	}
	out := make([]Entry, 0, len(order))
	for _, a := range order {
		e := a.e
		for who := range a.authors {
			e.ExposedBy = append(e.ExposedBy, who)
		}
		sort.Slice(e.ExposedBy, func(i, j int) bool {
			ti, tj := a.authors[e.ExposedBy[i]], a.authors[e.ExposedBy[j]]
			if !ti.Equal(tj) {
				return ti.Before(tj)
			}
			return e.ExposedBy[i] < e.ExposedBy[j]
		})
		for p := range a.still {
			e.StillAt = append(e.StillAt, p)
		}
		sort.Strings(e.StillAt)
		if !a.first.IsZero() {
			e.FirstExposed = a.first.UTC().Format("2006-01-02")
			e.DaysExposed = max(0, int(now.Sub(a.first).Hours()/24))
		}
		e.Steps = steps(&e)
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := finding.SeverityRank(out[i].Analysis), finding.SeverityRank(out[j].Analysis)
		if ri != rj {
			return ri < rj
		}
		if out[i].DaysExposed != out[j].DaysExposed {
			return out[i].DaysExposed > out[j].DaysExposed
		}
		return out[i].Provider < out[j].Provider
	})
	return out
}

// secretKey tells keys apart by the hash of the secret the fingerprint
// holds ("rule:hash:path"), which survives redaction (a redacted report's
// secrets all read "tok*****"), and by the secret's own hash otherwise.
func secretKey(f *finding.Finding) string {
	if parts := strings.SplitN(f.Fingerprint, ":", 3); len(parts) == 3 && len(parts[1]) == 16 {
		return parts[1]
	}
	return finding.SecretHash(f.Secret)
}

// Worst is the entry's blast radius in one line.
func (e *Entry) Worst() string {
	switch a := e.Analysis; {
	case a == nil:
		return "not analyzed (--analyze, or achilles analyze --rule " + e.RuleID + ", maps what it reaches)"
	case a.Error != "":
		return "analysis failed: " + a.Error
	}
	return e.Analysis.Worst
}

func steps(e *Entry) []string {
	var s []string
	switch {
	case e.Revocable:
		s = append(s, "Revoke it now: achilles revoke --rule "+e.RuleID+" (the provider revokes it)"+orAt(e.Revoke))
	case e.Revoke != "":
		s = append(s, "Revoke or rotate it now at "+e.Revoke)
	default:
		s = append(s, "Revoke or rotate it now in "+e.Provider+"'s console")
	}
	s = append(s, "Issue a replacement and update what uses it (CI secrets, deployments), from a secret manager rather than the repository")
	since := "since it was exposed"
	if e.FirstExposed != "" {
		since = fmt.Sprintf("since %s (%d days)", e.FirstExposed, e.DaysExposed)
	}
	s = append(s, "Review "+e.Provider+"'s audit log for use of the key "+since)
	if len(e.StillAt) > 0 {
		s = append(s, "Remove it from "+strings.Join(e.StillAt, ", "))
	} else {
		s = append(s, "It is gone from HEAD but stays in history: revoking it is what makes it harmless")
	}
	return s
}

func orAt(url string) string {
	if url == "" {
		return ""
	}
	return ", or at " + url
}
