package report

import "testing"

func TestEscapeControlCharacters(t *testing.T) {
	for in, want := range map[string]string{"a\x1b]52;c;ZXZpbA==\x07b": `a\x1b]52;c;ZXZpbA==\ab`, "ok é": "ok é", "x\u009by": `x\u009by`, "\xff": `\xff`, "a\tb\nc": `a\tb\nc`, "é\x1b": `é\x1b`} {
		if got := Escape(in); got != want {
			t.Errorf("%q: got %q want %q", in, got, want)
		}
	}
}
