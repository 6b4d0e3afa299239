package cli

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

var memoryOnce sync.Once

// followLiveHeap sets the soft memory limit to MemoryBudget and, after every
// garbage collection, to what memoryLimit makes of the live heap. A fixed
// limit below what a scan must keep (a million findings) would make the
// collector run back to back for most of the scan; twice the live heap is
// where GOGC=100 would collect anyway, so large scans pay at most twice the
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
	debug.SetMemoryLimit(memoryLimit(int64(sample[0].Value.Uint64())))
}

// memoryCeiling is the memory achilles aims to stay within (256 MB, less
// what is not heap): past twice the live heap, while that stays below it.
const memoryCeiling = 224 << 20

// memoryLimit is the soft limit for a live heap: the budget while the live
// heap is under half of it, then twice the live heap (where GOGC=100 would
// collect) but no more than the ceiling, and, once half the live heap no
// longer fits under the ceiling, the live heap and half again: the collector
// then runs at most twice as often as GOGC=100 would make it, never back to
// back.
func memoryLimit(live int64) int64 {
	limit := int64(MemoryBudget)
	if 2*live > limit {
		limit = min(2*live, max(memoryCeiling, live+live/2))
	}
	return limit
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
