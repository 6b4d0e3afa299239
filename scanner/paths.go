package scanner

// pathTable keeps each distinct path once and names it by its index, so
// the hundreds of thousands of (blob, path) entries of a history's listing
// or log hold an int32 each instead of a string. The zero value is empty
// and ready to use; a struct that embeds it reads paths[i] directly.
type pathTable struct {
	paths []string
	index map[string]int32
}

// intern returns p's index, adding p when the table lacks it.
func (t *pathTable) intern(p string) int32 {
	if i, ok := t.index[p]; ok {
		return i
	}
	return t.add(p)
}

// internBytes is intern for a path read into a buffer: it allocates a
// string only for a path the table lacks.
func (t *pathTable) internBytes(p []byte) int32 {
	if i, ok := t.index[string(p)]; ok {
		return i
	}
	return t.add(string(p))
}

func (t *pathTable) add(p string) int32 {
	if t.index == nil {
		t.index = map[string]int32{}
	}
	i := int32(len(t.paths))
	t.paths = append(t.paths, p)
	t.index[p] = i
	return i
}
