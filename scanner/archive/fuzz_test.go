package archive

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// FuzzWalk walks any bytes as an archive: it must return, hand over
// entries under the archive's name, and keep within the limits.
func FuzzWalk(f *testing.F) {
	f.Add([]byte("PK\x03\x04 not really"))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff})
	lim := Limits{MaxTotal: 4 << 20, MaxEntrySize: 1 << 20, MaxEntries: 1000}
	f.Fuzz(func(t *testing.T, data []byte) {
		var total int64
		Walk(context.Background(), "f.bin", bytes.NewReader(data), int64(len(data)), lim, func(p string, content []byte) error {
			if !strings.HasPrefix(p, "f.bin!") {
				t.Fatalf("entry path %q", p)
			}
			if int64(len(content)) > lim.MaxEntrySize {
				t.Fatalf("entry %s of %d bytes", p, len(content))
			}
			total += int64(len(content))
			return nil
		})
		if total > lim.MaxTotal {
			t.Fatalf("%d bytes handed over", total)
		}
	})
}
