package cli

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestHugeHeapMarksTheHeap reads the kernel's own account of this process's
// mappings: after hugeHeap, at least hugeHeapSize of them carry the huge
// page mark ("hg" in VmFlags), which no mapping of a Go program has
// otherwise.
func TestHugeHeapMarksTheHeap(t *testing.T) {
	mode, err := os.ReadFile(thpMode)
	if err != nil || !bytes.Contains(mode, []byte("[madvise]")) {
		t.Skipf("transparent huge pages are not in madvise mode here (%q, %v): hugeHeap does nothing", bytes.TrimSpace(mode), err)
	}
	hugeHeap()
	hugeHeap() // once per process: the second call finds the mark in place
	if got := markedBytes(t); got < hugeHeapSize {
		t.Fatalf("mappings marked for huge pages: %d bytes, want at least %d", got, hugeHeapSize)
	}
}

// markedBytes sums the sizes of the mappings /proc/self/smaps shows with
// the hg flag.
func markedBytes(t *testing.T) int64 {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	var total, size int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 3 && fields[0] == "Size:":
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				t.Fatalf("smaps: %q: %v", sc.Text(), err)
			}
			size = kb << 10
		case len(fields) > 0 && fields[0] == "VmFlags:":
			for _, fl := range fields[1:] {
				if fl == "hg" {
					total += size
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}
