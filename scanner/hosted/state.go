package hosted

import (
	"encoding/json"
	"sync"
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
// it stands for.
type State struct {
	mu        sync.Mutex
	prevPages map[string]PageMark
	prevItems map[string]string
	pages     map[string]PageMark
	items     map[string]string
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
	s.pages[url] = m
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
	s.items[key] = version
}
