package cli

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// resumeGC puts the first collection after start-up at twice the heap
// live then, not at the runtime's 4 MiB floor, and the end of that first
// cycle sets the collector back to the percent it was given.
func TestResumeGCDefersFirstCycle(t *testing.T) {
	old := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(old)
	runtime.GC()
	// Tables built with the collector off, as the catalogue's are.
	tables := make([][]byte, 0, 64)
	for range 64 {
		tables = append(tables, make([]byte, 128<<10))
	}
	resumeGC(100)
	raised := debug.SetGCPercent(-1) // reads the percent resumeGC set
	debug.SetGCPercent(raised)
	if raised <= 100 {
		t.Fatalf("percent after resumeGC = %d, want above 100 with 8 MiB live", raised)
	}
	runtime.GC()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		if p == 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("percent after the first cycle = %d, want 100", p)
		}
		runtime.GC() // the finalizer that restores it runs after a cycle
		time.Sleep(time.Millisecond)
	}
	runtime.KeepAlive(tables)

	// Off stays off.
	resumeGC(-1)
	if p := debug.SetGCPercent(100); p != -1 {
		t.Fatalf("resumeGC(-1) set percent %d", p)
	}
}

// The soft limit is the budget for a small live heap, twice the live heap
// up to the ceiling, then the live heap and half again: never below the
// live heap with room to spare.
func TestMemoryLimitFollowsTheLiveHeap(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct{ live, want int64 }{
		{10 * mib, MemoryBudget},
		{96 * mib, MemoryBudget},
		{100 * mib, 200 * mib},
		{144 * mib, memoryCeiling},
		{200 * mib, 300 * mib},
		{1000 * mib, 1500 * mib},
	} {
		if got := memoryLimit(c.live); got != c.want {
			t.Errorf("memoryLimit(%d MiB) = %d MiB, want %d MiB", c.live/mib, got/mib, c.want/mib)
		}
	}
}
