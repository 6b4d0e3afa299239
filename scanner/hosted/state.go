package hosted

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/achilles-sec/achilles/scanner"
)

// State is what a source finished in an earlier run of the same target,
// and what it finishes in this one: listing pages by their ETag (and the
// page after them), and items by their version (updated_at, a revision).
// A source reads the earlier run's marks and records this run's; Save
// gives both (this run's win), so the items of a page skipped unchanged
// keep their marks for a later run that finds the page changed. A nil *State
// remembers nothing: every request is unconditional and every item read.
//
// The sweep keeps one State per target in its store and saves it together
// with the target's findings, so that a mark never outlives the findings
// it stands for. An interrupted sweep saves the findings it has and Save's
// marks: through Gate, a mark waits until the searcher has scanned every
// blob yielded before it, so an item read but not yet scanned is read
// again by the next run.
type State struct {
	mu        sync.Mutex
	prevPages map[string]PageMark
	prevItems map[string]string
	pages     map[string]PageMark
	items     map[string]string

	// With Gate: blobs are numbered as they are yielded; every blob
	// numbered below low has been scanned (scanned holds those above it),
	// and a mark made after blob n was yielded waits in pending until low
	// passes n.
	gated   bool
	yielded int64
	low     int64
	scanned map[int64]bool
	pending []pendingMark
}

// pendingMark is a mark waiting for the scan of the blobs yielded before
// it: a page (page != "") or an item.
type pendingMark struct {
	after         int64
	page          string
	mark          PageMark
	item, version string
}

// PageMark is a finished listing page: its ETag and the next page's URL
// (a 304 carries no body to find it in).
type PageMark struct {
	ETag string `json:"etag"`
	Next string `json:"next,omitempty"`
}

type stateJSON struct {
	Pages map[string]PageMark `json:"pages,omitempty"`
	Items map[string]string   `json:"items,omitempty"`
}

// NewState is an empty state, or the one an earlier run saved (nil or
// empty data: none; data that does not parse is dropped, so the run reads
// everything).
func NewState(data []byte) *State {
	s := &State{pages: map[string]PageMark{}, items: map[string]string{}}
	var j stateJSON
	if len(data) > 0 && json.Unmarshal(data, &j) == nil {
		s.prevPages, s.prevItems = j.Pages, j.Items
	}
	return s
}

// Save is this run's marks, for NewState of the next run.
func (s *State) Save() []byte {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := stateJSON{Pages: map[string]PageMark{}, Items: map[string]string{}}
	for k, v := range s.prevPages {
		j.Pages[k] = v
	}
	for k, v := range s.pages {
		j.Pages[k] = v
	}
	for k, v := range s.prevItems {
		j.Items[k] = v
	}
	for k, v := range s.items {
		j.Items[k] = v
	}
	b, _ := json.Marshal(j)
	return b
}

func (s *State) page(url string) PageMark {
	if s == nil {
		return PageMark{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.prevPages[url]
}

func (s *State) finishPage(url string, m PageMark) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mark(pendingMark{page: url, mark: m})
}

// mark records a finished page or item, or with Gate keeps it pending
// until the blobs yielded so far are scanned. s.mu is held.
func (s *State) mark(m pendingMark) {
	if s.gated && s.low < s.yielded {
		m.after = s.yielded
		s.pending = append(s.pending, m)
		return
	}
	s.commit(m)
}

func (s *State) commit(m pendingMark) {
	if m.page != "" {
		s.pages[m.page] = m.mark
	} else {
		s.items[m.item] = m.version
	}
}

// Gate makes src's marks wait for the searcher: each blob src yields is
// numbered, and a blob counts as scanned when the searcher is done with it
// (Blob.Done) before ctx ends. A page or item finished after blob n was
// yielded reaches Save only once every blob up to n has been scanned, so
// Save after an interrupted scan holds only what the scan's findings
// cover. A mark is not Done in this run until then; no source asks twice.
func (s *State) Gate(src scanner.BlobSource) scanner.BlobSource {
	if s == nil {
		return src
	}
	s.mu.Lock()
	s.gated = true
	if s.scanned == nil {
		s.scanned = map[int64]bool{}
	}
	s.mu.Unlock()
	return func(ctx context.Context, warn func(error), yield func(scanner.Blob) error) error {
		return src(ctx, warn, func(b scanner.Blob) error {
			s.mu.Lock()
			n := s.yielded
			s.yielded++
			s.mu.Unlock()
			done := b.Done
			b.Done = func() {
				if done != nil {
					done()
				}
				if ctx.Err() == nil {
					s.blobScanned(n)
				}
			}
			return yield(b)
		})
	}
}

// blobScanned records that blob n was scanned and commits the marks
// whose blobs are now all scanned.
func (s *State) blobScanned(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scanned[n] = true
	for s.scanned[s.low] {
		delete(s.scanned, s.low)
		s.low++
	}
	i := 0
	for ; i < len(s.pending) && s.pending[i].after <= s.low; i++ {
		s.commit(s.pending[i])
	}
	s.pending = s.pending[i:]
}

// Done reports whether an earlier run finished the item key at this
// version.
// An empty version is never done.
func (s *State) Done(key, version string) bool {
	if s == nil || version == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.items[key]; ok {
		return v == version
	}
	return s.prevItems[key] == version
}

// Finish records that this run read the item key at version.
func (s *State) Finish(key, version string) {
	if s == nil || version == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mark(pendingMark{item: key, version: version})
}
