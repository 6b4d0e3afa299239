package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/plan"
)

// textWriter is the human format: one block per finding, what needs action
// first (urgent).
// Every field that comes from scanned content or a provider's answer goes
// through Escape: a path, an author or a commit message holding OSC 52 or a
// cursor move must not reach the terminal as one. The colour codes are the
// writer's own.
type textWriter struct {
	color, incomplete bool
	catalogue         plan.Catalogue
	now               time.Time
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiDim    = "\x1b[2m"
	ansiCyan   = "\x1b[36m"
)

func (t textWriter) paint(code, s string) string {
	if !t.color {
		return s
	}
	return code + s + ansiReset
}

func (t textWriter) write(w io.Writer, l *finding.List) error {
	bw := bufio.NewWriter(w)
	if t.incomplete {
		fmt.Fprintln(bw, t.paint(ansiBold+ansiYellow, "INCOMPLETE: the scan was interrupted; findings below are those found before it stopped"))
		fmt.Fprintln(bw)
	}
	if err := t.writePlan(bw, l); err != nil {
		return err
	}
	err := urgent(l, func(f *finding.Finding) error {
		head := t.paint(ansiBold+ansiRed, Escape(f.RuleID))
		if v := f.Verification; v != nil {
			switch v.Status {
			case "live":
				head = t.paint(ansiBold+ansiRed, "LIVE ") + head
			case "canary":
				head = t.paint(ansiBold+ansiYellow, "CANARY ") + head
			}
		}
		fmt.Fprintf(bw, "%s  %s  [%s]\n", head, Escape(f.Description), Escape(f.Confidence))
		loc := Escape(f.Path)
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d:%d", loc, f.Line, f.Column)
		}
		if len(f.Locations) > 1 {
			var more []string
			for _, l := range f.Locations[1:] {
				more = append(more, fmt.Sprint(l.Line))
			}
			loc += "  (also line " + strings.Join(more, ", ") + ")"
		}
		if g := f.Git; g != nil && g.IntroducedLine > 0 && g.IntroducedLine != f.Line {
			loc += fmt.Sprintf("  (line %d when introduced)", g.IntroducedLine)
		}
		fmt.Fprintf(bw, "  %-9s %s\n", "where", t.paint(ansiCyan, loc))
		if f.Secret != "" {
			fmt.Fprintf(bw, "  %-9s %s\n", "secret", t.paint(ansiYellow, Escape(oneLine(f.Secret))))
		}
		if g := f.Git; g != nil && g.Commit != "" {
			fmt.Fprintf(bw, "  %-9s %s %s %s <%s>  %s\n", "commit", Escape(short(g.Commit)), Escape(g.Date), Escape(g.Author), Escape(g.Email), t.paint(ansiDim, Escape(g.Message)))
			if g.HiddenRef != "" {
				fmt.Fprintf(bw, "  %-9s %s\n", "only in", t.paint(ansiYellow, Escape(g.HiddenRef))+" (a pull or merge request ref: no branch or tag holds the commit)")
			}
		} else if g == nil {
			// A kind of location without a pretty line of its own.
			for _, o := range f.Origin() {
				name := o.Name
				if name == "created_by" {
					name = "command" // the column is nine wide
				}
				fmt.Fprintf(bw, "  %-9s %s\n", name, Escape(o.Value))
			}
		}
		if p, known := f.StillPresent(); known {
			fmt.Fprintf(bw, "  %-9s %v\n", "at HEAD", yesNo(p))
		}
		if len(f.Decoded) > 0 {
			fmt.Fprintf(bw, "  %-9s %s\n", "decoded", Escape(strings.Join(f.Decoded, " → ")))
		}
		if f.ChecksumFailed {
			fmt.Fprintf(bw, "  %-9s %s\n", "checksum", "does not match: likely a look-alike")
		}
		if v := f.Verification; v != nil {
			line := Escape(v.Status)
			if v.Status == "canary" {
				line = t.paint(ansiBold+ansiYellow, "canary") + ": a planted decoy, never sent"
			}
			if v.Identity != "" {
				line += "  identity: " + Escape(v.Identity)
			}
			if len(v.Scopes) > 0 {
				line += "  scopes: " + Escape(strings.Join(v.Scopes, ","))
			}
			if v.ExpiresAt != "" {
				line += "  expires: " + Escape(v.ExpiresAt)
			}
			if v.Reason != "" {
				line += "  (" + Escape(v.Reason) + ")"
			}
			fmt.Fprintf(bw, "  %-9s %s\n", "verified", line)
		}
		fmt.Fprintf(bw, "  %-9s %s\n\n", "id", t.paint(ansiDim, Escape(f.Fingerprint)))
		return nil
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// writePlan opens the report with the response plan: each live key, most
// harmful first, and what to do about it.
func (t textWriter) writePlan(bw *bufio.Writer, l *finding.List) error {
	// The plan is of live keys only: they are few, and held.
	var live []finding.Finding
	if err := l.Each(func(_ int, f *finding.Finding) error {
		if v := f.Verification; v != nil && v.Status == "live" {
			live = append(live, *f)
		}
		return nil
	}); err != nil {
		return err
	}
	entries := plan.Build(live, t.catalogue, t.now)
	if len(entries) == 0 {
		return nil
	}
	fmt.Fprintln(bw, t.paint(ansiBold+ansiRed, fmt.Sprintf("RESPONSE PLAN: %s, most harmful first", plural(len(entries), "live key", "live keys"))))
	fmt.Fprintln(bw)
	for i, e := range entries {
		sev := "not analyzed"
		if e.Analysis != nil && e.Analysis.Error == "" {
			sev = e.Analysis.Severity
		}
		fmt.Fprintf(bw, "%d. %s #%s  [%s]  %s\n", i+1, t.paint(ansiBold, Escape(e.Provider)), e.Fingerprint, Escape(sev), Escape(e.Worst()))
		if e.Identity != "" {
			fmt.Fprintf(bw, "   %-12s %s\n", "owner", Escape(e.Identity))
		}
		if len(e.ExposedBy) > 0 {
			fmt.Fprintf(bw, "   %-12s %s\n", "exposed by", Escape(strings.Join(e.ExposedBy, ", ")))
		}
		if e.FirstExposed != "" {
			fmt.Fprintf(bw, "   %-12s %s (%d days)\n", "since", e.FirstExposed, e.DaysExposed)
		}
		if len(e.StillAt) > 0 {
			fmt.Fprintf(bw, "   %-12s %s\n", "still in", Escape(strings.Join(e.StillAt, ", ")))
		} else if e.Removed > 0 {
			fmt.Fprintf(bw, "   %-12s %s\n", "still in", "history only (removed from HEAD)")
		}
		if a := e.Analysis; a != nil && len(a.Resources) > 0 {
			fmt.Fprintf(bw, "   %-12s %s\n", "reaches", Escape(reach(a.Resources, 5)))
		}
		label := "do"
		for j, s := range e.Steps {
			fmt.Fprintf(bw, "   %-12s %d. %s\n", label, j+1, Escape(s))
			label = ""
		}
		fmt.Fprintln(bw)
	}
	return nil
}

// reach lists up to n resources with their permissions.
func reach(rs []finding.Resource, n int) string {
	var parts []string
	for i, r := range rs {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(rs)-n))
			break
		}
		p := r.Kind + " " + r.Name
		if len(r.Permissions) > 0 {
			p += " (" + strings.Join(r.Permissions, ", ") + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// urgent calls fn with the findings in the order they need action: live
// keys, then by confidence (high first), then those still at HEAD before
// those removed, keeping the given order (path, line) otherwise. It keeps
// a byte of rank per finding and reads the list once per rank present: a
// report can hold a million findings, spilled to a spool.
func urgent(l *finding.List, fn func(*finding.Finding) error) error {
	rank := func(f *finding.Finding) uint8 {
		r := uint8(0)
		if f.Verification == nil || f.Verification.Status != "live" {
			r += 100
		}
		switch f.Confidence {
		case "high":
		case "medium":
			r += 10
		default:
			r += 20
		}
		if p, known := f.StillPresent(); known && !p {
			r++
		}
		return r
	}
	ranks := make([]uint8, l.Len())
	var present [256]bool
	if err := l.Each(func(i int, f *finding.Finding) error {
		ranks[i] = rank(f)
		present[ranks[i]] = true
		return nil
	}); err != nil {
		return err
	}
	for r := range present {
		if !present[r] {
			continue
		}
		if err := l.Each(func(i int, f *finding.Finding) error {
			if ranks[i] != uint8(r) {
				return nil
			}
			return fn(f)
		}); err != nil {
			return err
		}
	}
	return nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func yesNo(b bool) string {
	if b {
		return "still present"
	}
	return "removed"
}

// oneLine keeps a multi-line secret (a private key) to one line of text.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
