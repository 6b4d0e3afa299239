package detectors

import (
	"hash/maphash"
	"sync/atomic"
)

// missCache remembers windows in which a rule's regex found nothing, and
// those in which it matched. The versions of a file in a history repeat
// most of their lines, so most windows a history scan opens were opened
// before, in another version, with the same bytes; a hash of the rule and
// the window's bytes, looked up before anything else, spares the window's
// checks, prefilter and regex (on etcd, 93% of 2.0 million windows are
// found here). Only the regex's answer is kept: a window's matches are
// judged again (entropy, allowlists, inline markers) against the line
// around them, which can differ between versions. Each table is
// direct-mapped and lossy (a slot
// holds the latest key hashed to it), fixed in size, and safe for
// concurrent use without locks; a key is 64 bits of maphash, so that two
// different windows share one with odds of about one in 2^64 per lookup.
type missCache struct {
	seed  maphash.Seed
	slots []atomic.Uint64
	shift uint
	// matched remembers windows in which the regex matched, with the
	// matches (offsets in the window), the same way: a test file's
	// password in every version of it is matched once (etcd: 4,570
	// windows of one rule, all matching).
	matched []atomic.Pointer[foundWindow]
}

// foundWindow is a window's key and its regex matches.
type foundWindow struct {
	key  uint64
	locs [][]int
}

// foundCacheBits sizes the table of windows with matches: 2^14 slots.
const foundCacheBits = 14

// missCacheBits sizes the table: 2^19 slots, 4 MiB. The 29,357 commits of
// etcd open about 2.0 million windows, of which 139,000 are new (a larger
// table finds no more).
const missCacheBits = 19

func newMissCache(bits uint) *missCache {
	return &missCache{seed: maphash.MakeSeed(), slots: make([]atomic.Uint64, 1<<bits), shift: 64 - bits,
		matched: make([]atomic.Pointer[foundWindow], 1<<foundCacheBits)}
}

// key hashes rule ri's window w. It is never 0, the empty slot.
func (c *missCache) key(ri int32, w []byte) uint64 {
	h := maphash.Bytes(c.seed, w)
	// Mix the rule in after the hash: distinct rules over one window get
	// keys as far apart as distinct windows.
	h ^= (uint64(ri) + 1) * 0x9E3779B97F4A7C15
	h ^= h >> 29
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 32
	return h | 1
}

func (c *missCache) has(k uint64) bool { return c.slots[k>>c.shift].Load() == k }

func (c *missCache) add(k uint64) { c.slots[k>>c.shift].Store(k) }

// found returns the matches remembered for key. They are shared: the
// caller does not change them.
func (c *missCache) found(k uint64) ([][]int, bool) {
	if f := c.matched[k>>(64-foundCacheBits)].Load(); f != nil && f.key == k {
		return f.locs, true
	}
	return nil, false
}

func (c *missCache) addFound(k uint64, locs [][]int) {
	c.matched[k>>(64-foundCacheBits)].Store(&foundWindow{key: k, locs: locs})
}
