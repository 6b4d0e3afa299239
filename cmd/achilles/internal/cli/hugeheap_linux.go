package cli

import (
	"bytes"
	"os"
	"runtime"
	"sync"
	"syscall"
)

// thpMode is where Linux says when it backs memory with transparent huge
// pages; the bracketed word is the mode in force.
const thpMode = "/sys/kernel/mm/transparent_hugepage/enabled"

// hugeHeapSize is how much of the heap hugeHeap marks: more than a folder
// scan's heap usually reaches, less than the memory budget.
const hugeHeapSize = 128 << 20

// hugeHeap asks Linux to back the first hugeHeapSize bytes the heap grows
// into with huge pages, for scans that read much more than they keep (a
// folder, a history, an image). Such a scan allocates and frees some 80 MB of buffers
// and tables; on small pages, each 4 KiB of it is a page fault the first
// time it is touched, some 20,000 faults and a fifth of the CPU time of a
// scan of the Go tree. On 2 MiB pages that is a hundred faults.
//
// The runtime never asks for huge pages itself, and under the "madvise"
// mode (the default of most distributions) Linux gives them only to memory
// marked with MADV_HUGEPAGE. The heap cannot be marked in advance: the
// runtime maps each piece of its reservation afresh as it grows into it.
// So hugeHeap allocates that much, which the runtime takes from fresh,
// untouched address space, marks them, and lets them go; a collection then
// returns them to the page allocator, which hands out the lowest free
// addresses first, so the scan's allocations land in the marked range.
// Without that collection the dropped block can outlive the first cycle
// and the heap grows past it instead. Nothing is touched, so nothing is
// resident until used; a scan's peak grows by at most the unused part of
// its last huge pages.
//
// Under "always" the heap has huge pages already; under "never" it cannot
// have them. hugeHeap does nothing then, and a failed call changes nothing
// but speed.
func hugeHeap() { hugeHeapOnce.Do(markHugeHeap) }

// hugeHeapOnce: the mark stays on the range for the life of the process,
// as the runtime never maps it afresh once it is part of the heap.
var hugeHeapOnce sync.Once

func markHugeHeap() {
	mode, err := os.ReadFile(thpMode)
	if err != nil || !bytes.Contains(mode, []byte("[madvise]")) {
		return
	}
	b := make([]byte, hugeHeapSize)
	if syscall.Madvise(b, syscall.MADV_HUGEPAGE) != nil {
		return
	}
	runtime.GC()
}
