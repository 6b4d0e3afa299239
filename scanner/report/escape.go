package report

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Escape makes text taken from scanned content (a path, an author, a commit
// message, a warning that quotes one) safe to print on a terminal: C0 and C1
// control characters, DEL and invalid UTF-8 are written as Go escapes
// (\x1b, \u009b), so a hostile repository cannot move the cursor, clear the
// screen, set the title or write the clipboard (OSC 52). Tabs and newlines
// are escaped too: one value stays on one line.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case isControl(r):
			q := strconv.QuoteRuneToASCII(r) // '\x1b', '\u009b', '\n'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c >= 0x80 {
			// Non-ASCII needs a closer look (C1 controls, invalid UTF-8).
			if c >= 0x80 {
				return !utf8.ValidString(s[i:]) || hasC1(s[i:])
			}
			return true
		}
	}
	return false
}

func hasC1(s string) bool {
	for _, r := range s {
		if isControl(r) {
			return true
		}
	}
	return false
}

func isControl(r rune) bool { return r < 0x20 || r >= 0x7f && r <= 0x9f }

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}
