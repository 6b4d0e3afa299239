package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestJSONControlsKeepsTheValue: what encoding/json writes raw (DEL, C1 as
// UTF-8) comes out escaped, whatever the write boundaries, and decodes to
// the same value; other text (é, U+00A0, U+2028) is untouched.
func TestJSONControlsKeepsTheValue(t *testing.T) {
	in := "a\x1b[2Jb\u009b2Kc\x7fd\u0085é\u00a0\u2028\xff"
	enc, _ := json.Marshal(in)
	for _, step := range []int{1, 2, 3, len(enc)} {
		var buf bytes.Buffer
		jc := &jsonControls{w: &buf}
		for i := 0; i < len(enc); i += step {
			jc.Write(enc[i:min(len(enc), i+step)])
		}
		jc.Flush()
		out := buf.Bytes()
		if at, bad := terminalUnsafe(string(out)); bad {
			t.Errorf("step %d: control near %q in %q", step, at, out)
		}
		var back, want string
		json.Unmarshal(enc, &want)
		if err := json.Unmarshal(out, &back); err != nil || back != want {
			t.Errorf("step %d: %q decodes to %q (%v), want %q", step, out, back, err, want)
		}
		if !bytes.Contains(out, []byte(`\u009b2K`)) || !bytes.Contains(out, []byte("é\u00a0")) {
			t.Errorf("step %d: %q", step, out)
		}
	}
}
