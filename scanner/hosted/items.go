package hosted

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"

	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/finding"
)

// Item is one text of a hosted service to scan: an issue's body, one
// comment, a release's notes, a CI job's log, a gist file's revision.
type Item struct {
	// Origin is the finding's location: the item's type, web URL (no
	// credentials), author and date.
	Origin finding.ItemOrigin
	// Path is the path findings report and path rules see (default: the
	// URL). A downloaded archive's path ends in its extension (logs.zip)
	// so that the searcher opens it.
	Path string
	// Text is the content, for an item held in memory.
	Text []byte
	// File is the content spooled to a temporary file (Spool); the
	// searcher removes it when it is done with the item.
	File *os.File
	Size int64
}

// Blob is the item as the searcher reads it.
func (it Item) Blob() scanner.Blob {
	origin := it.Origin
	path := it.Path
	if path == "" {
		path = origin.URL
	}
	b := scanner.Blob{
		Path: path,
		Locate: func(f *finding.Finding) {
			o := origin
			f.Kind, f.Item = finding.KindItem, &o
		},
	}
	if it.File != nil {
		file := it.File
		b.Size = it.Size
		b.Open = func() (io.ReadCloser, error) {
			if _, err := file.Seek(0, io.SeekStart); err != nil {
				return nil, err
			}
			return spooled{file}, nil
		}
		b.Done = func() {
			name := file.Name()
			file.Close()
			os.Remove(name)
		}
		return b
	}
	text := it.Text
	b.Size = int64(len(text))
	b.Open = func() (io.ReadCloser, error) { return readCloser{bytes.NewReader(text)}, nil }
	return b
}

// spooled keeps the searcher's Close from closing the spooled file: Done
// removes it.
type spooled struct{ *os.File }

func (spooled) Close() error { return nil }

// readCloser is a bytes.Reader (an io.ReaderAt, so an archive in memory
// can be opened) that closes.
type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// Spool copies r (a download) into a temporary file of mode 0600, at most
// max bytes (0: no bound; more is an error), and returns it with its size.
func Spool(ctx context.Context, r io.Reader, max int64) (*os.File, int64, error) {
	f, err := os.CreateTemp("", "achilles-item-*")
	if err != nil {
		return nil, 0, err
	}
	src := r
	if max > 0 {
		src = io.LimitReader(r, max+1)
	}
	n, err := io.Copy(f, ctxReader{ctx, src})
	if err == nil && max > 0 && n > max {
		err = errTooLarge
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, err
	}
	return f, n, nil
}

var errTooLarge = errorString("larger than the download limit")

type errorString string

func (e errorString) Error() string { return string(e) }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Source turns a producer of items into the searcher's BlobSource: list
// calls emit for each item as it is read (so that scanning overlaps the
// API's answers) and gives problems with one item to warn. A list that
// ends with ErrIncomplete has warned about each part it missed: what it
// read is reported.
func Source(list func(ctx context.Context, warn func(error), emit func(Item) error) error) scanner.BlobSource {
	return func(ctx context.Context, warn func(error), yield func(scanner.Blob) error) error {
		err := list(ctx, warn, func(it Item) error {
			// The searcher owns the blob once given: it calls Done, even
			// when yield fails.
			return yield(it.Blob())
		})
		if errors.Is(err, ErrIncomplete) {
			return nil
		}
		return err
	}
}
