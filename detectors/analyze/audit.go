package analyze

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"
)

// AuditEntry is one revocation attempt, as the audit log records it: one
// JSON line. It never holds the secret; the fingerprint names it.
type AuditEntry struct {
	Time        time.Time    `json:"time"`
	Fingerprint string       `json:"fingerprint"`
	Rule        string       `json:"rule"`
	Provider    string       `json:"provider"`
	Status      RevokeStatus `json:"status"`
	Answer      string       `json:"answer,omitempty"`
}

// AuditLog appends revocation attempts to a JSON-lines file. The file is
// created mode 0600, never followed through a symbolic link, and only
// appended to.
type AuditLog struct {
	mu sync.Mutex
	f  *os.File
}

// OpenAudit opens (or creates) the audit log at path for appending. A path
// that is a symbolic link or not a regular file is refused; an existing log
// with a wider mode is made 0600.
func OpenAudit(path string) (*AuditLog, error) {
	if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("audit log %s is not a regular file (a symbolic link?): refusing to write to it", path)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the audit log: %w", err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("audit log %s is not a regular file: refusing to write to it", path)
	}
	if st.Mode().Perm() != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, fmt.Errorf("audit log %s is mode %v and cannot be made private: %w", path, st.Mode().Perm(), err)
		}
	}
	return &AuditLog{f: f}, nil
}

// Record appends one entry, written with one write call so concurrent
// writers do not interleave lines.
func (a *AuditLog) Record(e AuditEntry) error {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing the audit log: %w", err)
	}
	return nil
}

// Close syncs and closes the log.
func (a *AuditLog) Close() error {
	serr := a.f.Sync()
	if err := a.f.Close(); err != nil {
		return err
	}
	return serr
}
