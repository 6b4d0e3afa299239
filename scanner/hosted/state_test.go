package hosted

import (
	"context"
	"encoding/json"
	"maps"
	"testing"

	"github.com/achilles-sec/achilles/scanner"
)

// Through Gate, a mark reaches Save only when every blob yielded before it
// was scanned (Done before the context ended): marks of items whose blobs
// wait in the searcher's queue, or were cut short, stay out.
func TestGateHoldsMarksUntilScanned(t *testing.T) {
	s := NewState([]byte(`{"items":{"old":"v0"}}`))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var blobs []scanner.Blob
	src := s.Gate(func(ctx context.Context, warn func(error), yield func(scanner.Blob) error) error {
		for _, key := range []string{"a", "b", "c", "d"} {
			// two blobs for b: an issue and its comment
			n := 1
			if key == "b" {
				n = 2
			}
			for range n {
				if err := yield(scanner.Blob{Path: key}); err != nil {
					return err
				}
			}
			s.Finish(key, "v1")
		}
		s.finishPage("https://api.example/issues", PageMark{ETag: `"e"`})
		return nil
	})
	if err := src(ctx, func(error) {}, func(b scanner.Blob) error { blobs = append(blobs, b); return nil }); err != nil {
		t.Fatal(err)
	}
	items := func() map[string]string {
		var j stateJSON
		if err := json.Unmarshal(s.Save(), &j); err != nil {
			t.Fatal(err)
		}
		return j.Items
	}
	if got := items(); !maps.Equal(got, map[string]string{"old": "v0"}) {
		t.Fatalf("nothing scanned yet: marks %v, want only the earlier run's", got)
	}
	blobs[0].Done() // a
	blobs[2].Done() // b's second blob, before its first
	if got := items(); !maps.Equal(got, map[string]string{"old": "v0", "a": "v1"}) {
		t.Fatalf("a and half of b scanned: marks %v, want a", got)
	}
	blobs[1].Done() // b's first blob: b is complete
	blobs[4].Done() // d, while c waits
	if got := items(); !maps.Equal(got, map[string]string{"old": "v0", "a": "v1", "b": "v1"}) {
		t.Fatalf("a, b and d scanned, c not: marks %v, want a and b", got)
	}
	cancel()
	blobs[3].Done() // c, cut short by the interrupt
	if got := items(); !maps.Equal(got, map[string]string{"old": "v0", "a": "v1", "b": "v1"}) {
		t.Fatalf("c interrupted: marks %v, want a and b", got)
	}
	var j stateJSON
	_ = json.Unmarshal(s.Save(), &j)
	if len(j.Pages) != 0 {
		t.Fatalf("the page was finished after c and d: its mark %v must wait for them", j.Pages)
	}
}

// Without Gate a mark is kept as soon as it is made.
func TestUngatedMarks(t *testing.T) {
	s := NewState(nil)
	s.Finish("a", "v1")
	if !s.Done("a", "v1") {
		t.Fatal("an ungated mark is not done")
	}
	var j stateJSON
	_ = json.Unmarshal(s.Save(), &j)
	if j.Items["a"] != "v1" {
		t.Fatalf("saved %v", j.Items)
	}
}
