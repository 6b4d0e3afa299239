package cli

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

var memoryOnce sync.Once

// followLiveHeap sets the soft memory limit to MemoryBudget and, after every
// garbage collection, to twice the live heap when that is larger. A fixed
// limit below what a scan must keep (a million findings) would make the
// collector run back to back for most of the scan; twice the live heap is
// where GOGC=100 would collect anyway, so large scans pay no more than the
// runtime's default and small ones stay within the budget.
func followLiveHeap() {
	memoryOnce.Do(func() {
		debug.SetMemoryLimit(MemoryBudget)
		armHeapSentinel()
	})
}

// heapSentinel is garbage as soon as it is made: its finalizer runs once
// per collection cycle and arms the next one. It holds a pointer so that it
// is not placed in the tiny allocator, whose objects may never be finalized.
type heapSentinel struct{ _ *byte }

func armHeapSentinel() {
	runtime.SetFinalizer(&heapSentinel{}, func(*heapSentinel) {
		adjustMemoryLimit()
		armHeapSentinel()
	})
}

func adjustMemoryLimit() {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	limit := int64(MemoryBudget)
	if live := int64(sample[0].Value.Uint64()); 2*live > limit {
		limit = 2 * live
	}
	debug.SetMemoryLimit(limit)
}

// resumeGC turns the collector back on at gc percent after the rules and
// the engine were built with it off. Turned on as is, it would start a
// cycle at once: no cycle has measured the live heap yet, so the goal is
// the runtime's 4 MiB floor, which the catalogue's tables already exceed,
// and a pre-commit run would spend its start-up marking tables that all
// stay live. Instead the first goal is twice the heap live now (where
// gc percent would put it after that first cycle), through a higher
// percent that the end of the first cycle sets back to gc.
func resumeGC(gc int) {
	const floor = 4 << 20 // the runtime's heap goal before its first cycle, at GOGC=100
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	if gc <= 0 || sample[0].Value.Kind() != metrics.KindUint64 {
		debug.SetGCPercent(gc)
		return
	}
	live := sample[0].Value.Uint64()
	first := int(100 * (live + live*uint64(gc)/100) / floor)
	if first <= gc {
		debug.SetGCPercent(gc)
		return
	}
	debug.SetGCPercent(first)
	runtime.SetFinalizer(&heapSentinel{}, func(*heapSentinel) { debug.SetGCPercent(gc) })
}
