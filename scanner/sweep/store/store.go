// Package store is the results store of an org-wide sweep: an embedded
// SQLite database (pure Go, no cgo) holding each repository's scan state,
// every finding, and each unique secret's verification status over time.
//
// Findings are keyed by (repository, fingerprint), so a repository scanned
// twice stores each finding once. Secrets are keyed by a hash of the secret
// and shared by every repository they were found in, so each is verified
// once. The file holds secrets in clear (a report redacts them by default):
// it is created mode 0600.
package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Repository statuses.
const (
	// StatusScanning is set before a scan starts and replaced when it ends:
	// a repository left in it was interrupted and is scanned again.
	StatusScanning = "scanning"
	// StatusDone: scanned; Tips says which ref tips.
	StatusDone = "done"
	// StatusFailed: cloning, fetching or scanning failed; Error says why.
	// It is tried again on the next run.
	StatusFailed = "failed"
	// StatusMissing: a wiki whose server answered that there is no such
	// repository (a wiki enabled but never written); Error says so. Not a
	// failure: it is asked for again on the next run.
	StatusMissing = "missing"
)

// Verification statuses kept per secret (the verifier's live, dead,
// unknown and canary: a planted decoy, known offline and never sent).
const (
	Live    = "live"
	Dead    = "dead"
	Unknown = "unknown"
	Canary  = "canary"
)

const schema = `
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS repos (
	key        TEXT PRIMARY KEY,       -- normalised URL: host/owner/name
	url        TEXT NOT NULL,          -- clone URL or local path
	source     TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL,          -- scanning, done, failed, missing
	error      TEXT NOT NULL DEFAULT '',
	tips       TEXT NOT NULL DEFAULT '', -- sha256 of the sorted "ref sha" lines last scanned
	head       TEXT NOT NULL DEFAULT '', -- default branch
	scanned_at TEXT NOT NULL DEFAULT '', -- end of the last completed scan
	updated_at TEXT NOT NULL,          -- last change of this row
	attempts   INTEGER NOT NULL DEFAULT 0, -- failures since the last success
	bytes      INTEGER NOT NULL DEFAULT 0,
	commits    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS findings (
	repo            TEXT NOT NULL REFERENCES repos(key),
	fingerprint     TEXT NOT NULL,
	secret_id       TEXT NOT NULL REFERENCES secrets(id),
	rule_id         TEXT NOT NULL,
	description     TEXT NOT NULL DEFAULT '',
	confidence      TEXT NOT NULL DEFAULT '',
	tags            TEXT NOT NULL DEFAULT '[]',
	secret          TEXT NOT NULL,
	match           TEXT NOT NULL DEFAULT '',
	path            TEXT NOT NULL,
	line            INTEGER NOT NULL,
	col             INTEGER NOT NULL DEFAULT 0,
	entropy         REAL NOT NULL DEFAULT 0,
	commit_sha      TEXT NOT NULL DEFAULT '',
	author          TEXT NOT NULL DEFAULT '',
	email           TEXT NOT NULL DEFAULT '',
	date            TEXT NOT NULL DEFAULT '',   -- commit date, RFC 3339
	message         TEXT NOT NULL DEFAULT '',
	still_present   INTEGER,                    -- NULL when unknown
	decoded         TEXT NOT NULL DEFAULT '[]',
	checksum_failed INTEGER NOT NULL DEFAULT 0,
	parts           TEXT NOT NULL DEFAULT '{}', -- companion secrets by rule id, for verification
	first_seen      TEXT NOT NULL,
	last_seen       TEXT NOT NULL,
	-- where a finding outside git history is: {"kind", "image" or "item"}
	-- as JSON (empty for git history, whose origin has its own columns)
	origin          TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (repo, fingerprint)
);
CREATE INDEX IF NOT EXISTS findings_secret ON findings(secret_id);
CREATE TABLE IF NOT EXISTS secrets (
	id         TEXT PRIMARY KEY,  -- sha256 of the secret
	secret     TEXT NOT NULL,
	first_seen TEXT NOT NULL,
	-- the current state; status is the last definite answer (live or dead),
	-- or unknown when there has been none
	status     TEXT NOT NULL DEFAULT '',
	reason     TEXT NOT NULL DEFAULT '',
	identity   TEXT NOT NULL DEFAULT '',
	scopes     TEXT NOT NULL DEFAULT '[]',
	expires_at TEXT NOT NULL DEFAULT '',
	kind       TEXT NOT NULL DEFAULT '',
	verifier   TEXT NOT NULL DEFAULT '',
	checked_at TEXT NOT NULL DEFAULT '',  -- last verification attempt
	live_since TEXT NOT NULL DEFAULT '',
	dead_since TEXT NOT NULL DEFAULT ''   -- found dead on
);
-- what each live secret reaches (--analyze): finding.Analysis as JSON
CREATE TABLE IF NOT EXISTS analyses (
	secret_id TEXT PRIMARY KEY REFERENCES secrets(id),
	analysis  TEXT NOT NULL,
	at        TEXT NOT NULL
);
-- what a hosted-service source finished in the last completed scan of a
-- target (hosted.State as JSON): its next scan makes conditional requests
CREATE TABLE IF NOT EXISTS hosted_state (
	repo  TEXT PRIMARY KEY REFERENCES repos(key),
	state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS status_history (
	secret_id TEXT NOT NULL REFERENCES secrets(id),
	at        TEXT NOT NULL,
	status    TEXT NOT NULL,
	PRIMARY KEY (secret_id, at, status)
);
`

// SchemaVersion is stored in meta; a database of another version is refused.
const SchemaVersion = "1"

// Store is an open results database. It is safe for concurrent use; writes
// are serialised.
type Store struct {
	db   *sql.DB
	path string
}

// Open opens or creates the database at path, a file system path (any
// '?', '#' or '%' in it is part of the name). The file is mode 0600: created
// so, or set so when it existed with a wider mode, and with it the WAL and
// shared-memory files SQLite keeps beside it.
func Open(path string) (*Store, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening results database: %w", err)
	}
	err = private(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	for _, side := range []string{"-wal", "-shm"} {
		if sf, err := os.OpenFile(path+side, os.O_RDWR, 0); err == nil {
			err = private(sf)
			sf.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	uri, err := fileURI(path)
	if err != nil {
		return nil, fmt.Errorf("opening results database: %w", err)
	}
	dsn := uri + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(OFF)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening results database %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and this keeps
	// transactions from waiting on each other's locks.
	db.SetMaxOpenConns(1)
	s := &Store{db: db, path: path}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// private sets an open database file to mode 0600 unless it already is.
func private(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("opening results database: %w", err)
	}
	if st.Mode().Perm() != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("results database %s is mode %v and cannot be made private: %w", f.Name(), st.Mode().Perm(), err)
		}
	}
	return nil
}

// fileURI is the SQLite URI of a file system path: absolute, with the
// characters a URI gives a meaning to ('%', '?', '#') percent-encoded, so
// the path names exactly one file whatever it holds.
func fileURI(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive: file:/C:/...
	}
	var b strings.Builder
	b.WriteString("file:")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '%', '?', '#':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// scrubURL drops user information from a URL before it is stored.
func scrubURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Host == "" {
		return raw
	}
	u.User = nil
	return u.String()
}

func (s *Store) init() error {
	if _, err := s.db.Exec(schema); err != nil {
		return fmt.Errorf("creating tables in %s: %w", s.path, err)
	}
	if err := s.addColumn("findings", "origin", `TEXT NOT NULL DEFAULT ''`); err != nil {
		return err
	}
	var v string
	err := s.db.QueryRow(`SELECT value FROM meta WHERE key = 'schema'`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = s.db.Exec(`INSERT INTO meta(key, value) VALUES ('schema', ?)`, SchemaVersion)
		return err
	case err != nil:
		return fmt.Errorf("reading %s: %w", s.path, err)
	case v != SchemaVersion:
		return fmt.Errorf("%s: results database schema %s, this achilles reads %s", s.path, v, SchemaVersion)
	}
	return s.scrubStoredURLs()
}

// addColumn adds a column a database made by an earlier achilles lacks
// (at the end, where the schema has it for a new database).
func (s *Store) addColumn(table, column, decl string) error {
	rows, err := s.db.Query(`SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return fmt.Errorf("reading %s: %w", s.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("reading %s: %w", s.path, err)
		}
		if name == column {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", s.path, err)
	}
	rows.Close()
	if _, err := s.db.Exec(`ALTER TABLE ` + table + ` ADD COLUMN ` + column + ` ` + decl); err != nil {
		return fmt.Errorf("updating %s: %w", s.path, err)
	}
	return nil
}

// scrubStoredURLs removes user information that an earlier achilles stored
// with a repository's URL (https://user:pass@host/...), overwriting the old
// bytes (secure_delete) rather than leaving them in a free page.
func (s *Store) scrubStoredURLs() error {
	rows, err := s.db.Query(`SELECT key, url FROM repos WHERE url LIKE '%@%'`)
	if err != nil {
		return fmt.Errorf("reading %s: %w", s.path, err)
	}
	fix := map[string]string{}
	for rows.Next() {
		var key, u string
		if err := rows.Scan(&key, &u); err != nil {
			rows.Close()
			return fmt.Errorf("reading %s: %w", s.path, err)
		}
		if clean := scrubURL(u); clean != u {
			fix[key] = clean
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", s.path, err)
	}
	if len(fix) == 0 {
		return nil
	}
	if _, err := s.db.Exec(`PRAGMA secure_delete = ON`); err != nil {
		return fmt.Errorf("scrubbing URLs in %s: %w", s.path, err)
	}
	defer s.db.Exec(`PRAGMA secure_delete = OFF`)
	for key, u := range fix {
		if _, err := s.db.Exec(`UPDATE repos SET url = ? WHERE key = ?`, u, key); err != nil {
			return fmt.Errorf("scrubbing URLs in %s: %w", s.path, err)
		}
	}
	if _, err := s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("scrubbing URLs in %s: %w", s.path, err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// SecretID is the key of a secret: a hash, so the id itself is safe to show.
func SecretID(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// TimeFormat is how times are stored: sortable as text.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

func ts(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime reads a stored time; zero for an empty or malformed one.
func ParseTime(s string) time.Time {
	t, err := time.Parse(TimeFormat, s)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	return t
}

// Repo is one repository's state.
type Repo struct {
	Key       string
	URL       string
	Source    string
	Status    string
	Error     string
	Tips      string
	Head      string
	ScannedAt time.Time
	UpdatedAt time.Time
	Attempts  int
	Bytes     int64
	Commits   int64
}

const repoColumns = `key, url, source, status, error, tips, head, scanned_at, updated_at, attempts, bytes, commits`

func scanRepo(row interface{ Scan(...any) error }) (Repo, error) {
	var r Repo
	var scanned, updated string
	err := row.Scan(&r.Key, &r.URL, &r.Source, &r.Status, &r.Error, &r.Tips, &r.Head, &scanned, &updated, &r.Attempts, &r.Bytes, &r.Commits)
	r.ScannedAt, r.UpdatedAt = ParseTime(scanned), ParseTime(updated)
	return r, err
}

// Repo returns the state of the repository with that key.
func (s *Store) Repo(ctx context.Context, key string) (Repo, bool, error) {
	r, err := scanRepo(s.db.QueryRowContext(ctx, `SELECT `+repoColumns+` FROM repos WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return Repo{}, false, nil
	}
	if err != nil {
		return Repo{}, false, fmt.Errorf("reading repository %s: %w", key, err)
	}
	return r, true, nil
}

// Repos lists every repository, by key.
func (s *Store) Repos(ctx context.Context) ([]Repo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+repoColumns+` FROM repos ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("listing repositories: %w", err)
	}
	defer rows.Close()
	var out []Repo
	for rows.Next() {
		r, err := scanRepo(rows)
		if err != nil {
			return nil, fmt.Errorf("listing repositories: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MarkScanning records that a scan of the repository starts. Until SaveScan
// replaces it, the repository counts as interrupted.
func (s *Store) MarkScanning(ctx context.Context, key, url, source string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO repos(key, url, source, status, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(key) DO UPDATE SET url = excluded.url, source = excluded.source, status = excluded.status, updated_at = excluded.updated_at`,
		key, scrubURL(url), source, StatusScanning, ts(at))
	if err != nil {
		return fmt.Errorf("recording the start of %s: %w", key, err)
	}
	return nil
}

// MarkFailed records why the repository could not be cloned or scanned.
// Its findings from earlier scans are kept; it is tried again next run.
func (s *Store) MarkFailed(ctx context.Context, key, url, source, reason string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO repos(key, url, source, status, error, updated_at, attempts) VALUES (?, ?, ?, ?, ?, ?, 1)
		ON CONFLICT(key) DO UPDATE SET url = excluded.url, source = excluded.source, status = excluded.status,
			error = excluded.error, updated_at = excluded.updated_at, attempts = repos.attempts + 1`,
		key, scrubURL(url), source, StatusFailed, reason, ts(at))
	if err != nil {
		return fmt.Errorf("recording the failure of %s: %w", key, err)
	}
	return nil
}

// MarkMissing records that the repository (a wiki) does not exist at its
// server, with the reason. Findings of earlier scans are kept.
func (s *Store) MarkMissing(ctx context.Context, key, url, source, reason string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO repos(key, url, source, status, error, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(key) DO UPDATE SET url = excluded.url, source = excluded.source, status = excluded.status,
			error = excluded.error, updated_at = excluded.updated_at, attempts = 0`,
		key, scrubURL(url), source, StatusMissing, reason, ts(at))
	if err != nil {
		return fmt.Errorf("recording that %s is missing: %w", key, err)
	}
	return nil
}

// Scan is one completed scan of a repository.
type Scan struct {
	Repo     Repo // Key, URL, Source, Tips, Head, Bytes, Commits are stored
	Findings []finding.Finding
	At       time.Time
	// HostedState, when set, replaces the target's hosted.State.
	HostedState []byte
	// Partial marks an interrupted scan that saves what it finished (the
	// findings and HostedState so far): the repository stays marked
	// scanning, its tips and last completed scan unchanged, so the next
	// run scans it again from that state.
	Partial bool
}

// SaveScan stores a completed scan in one transaction: every finding is
// upserted by (repository, fingerprint), each secret is added once, and the
// repository is marked done with its ref tips (or, for a Partial scan,
// left marked scanning). It returns the ids of the secrets this scan found
// that were never verified.
func (s *Store) SaveScan(ctx context.Context, sc Scan) ([]string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("saving the scan of %s: %w", sc.Repo.Key, err)
	}
	defer tx.Rollback()
	at := ts(sc.At)
	r := sc.Repo
	if sc.Partial {
		if _, err := tx.ExecContext(ctx, `INSERT INTO repos(key, url, source, status, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(key) DO UPDATE SET url = excluded.url, source = excluded.source, status = excluded.status, updated_at = excluded.updated_at`,
			r.Key, scrubURL(r.URL), r.Source, StatusScanning, at); err != nil {
			return nil, fmt.Errorf("saving the partial scan of %s: %w", r.Key, err)
		}
	} else if _, err := tx.ExecContext(ctx, `INSERT INTO repos(key, url, source, status, error, tips, head, scanned_at, updated_at, attempts, bytes, commits)
		VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, 0, ?, ?)
		ON CONFLICT(key) DO UPDATE SET url = excluded.url, source = excluded.source, status = excluded.status, error = '',
			tips = excluded.tips, head = excluded.head, scanned_at = excluded.scanned_at, updated_at = excluded.updated_at,
			attempts = 0, bytes = excluded.bytes, commits = excluded.commits`,
		r.Key, scrubURL(r.URL), r.Source, StatusDone, r.Tips, r.Head, at, at, r.Bytes, r.Commits); err != nil {
		return nil, fmt.Errorf("saving the scan of %s: %w", r.Key, err)
	}
	secretStmt, err := tx.PrepareContext(ctx, `INSERT INTO secrets(id, secret, first_seen) VALUES (?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET first_seen = min(secrets.first_seen, excluded.first_seen)`)
	if err != nil {
		return nil, err
	}
	defer secretStmt.Close()
	findingStmt, err := tx.PrepareContext(ctx, `INSERT INTO findings(repo, fingerprint, secret_id, rule_id, description, confidence, tags, secret, match,
			path, line, col, entropy, commit_sha, author, email, date, message, still_present, decoded, checksum_failed, parts, first_seen, last_seen, origin)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(repo, fingerprint) DO UPDATE SET secret_id = excluded.secret_id, rule_id = excluded.rule_id,
			description = excluded.description, confidence = excluded.confidence, tags = excluded.tags, secret = excluded.secret,
			match = excluded.match, path = excluded.path, line = excluded.line, col = excluded.col, entropy = excluded.entropy,
			commit_sha = excluded.commit_sha, author = excluded.author, email = excluded.email, date = excluded.date,
			message = excluded.message, still_present = excluded.still_present, decoded = excluded.decoded,
			checksum_failed = excluded.checksum_failed, parts = excluded.parts, last_seen = excluded.last_seen, origin = excluded.origin`)
	if err != nil {
		return nil, err
	}
	defer findingStmt.Close()
	ids := map[string]bool{}
	for _, f := range sc.Findings {
		if f.Secret == "" {
			continue // a path-only rule: nothing to verify, but still a finding
		}
		id := SecretID(f.Secret)
		ids[id] = true
		firstSeen := at
		if d := ParseTime(gitOf(&f).Date); !d.IsZero() {
			firstSeen = ts(d)
		}
		if _, err := secretStmt.ExecContext(ctx, id, f.Secret, firstSeen); err != nil {
			return nil, fmt.Errorf("saving a secret of %s: %w", r.Key, err)
		}
	}
	for _, f := range sc.Findings {
		fp := f.Fingerprint
		if fp == "" {
			fp = finding.MakeFingerprint(f.RuleID, f.Secret, f.Path)
		}
		g := gitOf(&f)
		var present any
		if g.StillPresent != nil {
			present = *g.StillPresent
		}
		secretID := ""
		if f.Secret != "" {
			secretID = SecretID(f.Secret)
		}
		if _, err := findingStmt.ExecContext(ctx, r.Key, fp, secretID, f.RuleID, f.Description, f.Confidence, jsonText(f.Tags, "[]"),
			f.Secret, f.Match, f.Path, f.Line, f.Column, f.Entropy, g.Commit, g.Author, g.Email, g.Date, g.Message, present,
			jsonText(f.Decoded, "[]"), f.ChecksumFailed, jsonText(f.Related, "{}"), at, at, originText(&f)); err != nil {
			return nil, fmt.Errorf("saving a finding of %s: %w", r.Key, err)
		}
	}
	if sc.HostedState != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO hosted_state(repo, state) VALUES (?, ?)
			ON CONFLICT(repo) DO UPDATE SET state = excluded.state`, r.Key, string(sc.HostedState)); err != nil {
			return nil, fmt.Errorf("saving the scan of %s: %w", r.Key, err)
		}
	}
	var unverified []string
	for id := range ids {
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM secrets WHERE id = ?`, id).Scan(&status); err != nil {
			return nil, err
		}
		if status == "" {
			unverified = append(unverified, id)
		}
	}
	sort.Strings(unverified)
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("saving the scan of %s: %w", r.Key, err)
	}
	return unverified, nil
}

// storedOrigin is the origin column: a location outside git history.
type storedOrigin struct {
	Kind  finding.Kind         `json:"kind"`
	Image *finding.ImageOrigin `json:"image,omitempty"`
	Item  *finding.ItemOrigin  `json:"item,omitempty"`
}

func originText(f *finding.Finding) string {
	if f.Git != nil || f.Kind == "" || f.Kind == finding.KindGit {
		return ""
	}
	return jsonText(storedOrigin{Kind: f.Kind, Image: f.Image, Item: f.Item}, "")
}

// HostedState is the hosted.State the last completed scan of a target
// saved (nil: none).
func (s *Store) HostedState(ctx context.Context, key string) ([]byte, error) {
	var st string
	err := s.db.QueryRowContext(ctx, `SELECT state FROM hosted_state WHERE repo = ?`, key).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the state of %s: %w", key, err)
	}
	return []byte(st), nil
}

func jsonText(v any, empty string) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return empty
	}
	return string(b)
}

// Candidate is one way a secret was found: a rule and the companion parts
// next to it. A verification request is built from it.
type Candidate struct {
	RuleID string
	Parts  map[string]string
	// ChecksumFailed: the findings of this candidate failed their offline
	// checksum (a look-alike, never sent).
	ChecksumFailed bool
}

// Secret is a unique secret with the rules that found it.
type Secret struct {
	ID         string
	Secret     string
	Status     string // "" when never verified
	Candidates []Candidate
}

// Secrets returns the secrets with those ids (all secrets when ids is nil),
// each with every distinct (rule, companion parts, checksum) its findings
// were found with, as a scan hands them to verification.
func (s *Store) Secrets(ctx context.Context, ids []string) ([]Secret, error) {
	q := `SELECT s.id, s.secret, s.status, f.rule_id, f.parts, f.checksum_failed FROM secrets s JOIN findings f ON f.secret_id = s.id`
	var args []any
	if ids != nil {
		if len(ids) == 0 {
			return nil, nil
		}
		q += ` WHERE s.id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	q += ` ORDER BY s.id, f.rule_id, f.repo, f.fingerprint`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing secrets: %w", err)
	}
	defer rows.Close()
	var out []Secret
	for rows.Next() {
		var id, secret, status, rule, parts string
		var failed bool
		if err := rows.Scan(&id, &secret, &status, &rule, &parts, &failed); err != nil {
			return nil, fmt.Errorf("listing secrets: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			out = append(out, Secret{ID: id, Secret: secret, Status: status})
		}
		sec := &out[len(out)-1]
		var p map[string]string
		_ = json.Unmarshal([]byte(parts), &p)
		c := Candidate{RuleID: rule, Parts: p, ChecksumFailed: failed}
		if !slices.ContainsFunc(sec.Candidates, func(o Candidate) bool {
			return o.RuleID == c.RuleID && o.ChecksumFailed == c.ChecksumFailed && maps.Equal(o.Parts, c.Parts)
		}) {
			sec.Candidates = append(sec.Candidates, c)
		}
	}
	return out, rows.Err()
}

// Verification is one answer about a secret.
type Verification struct {
	Status    string // live, dead, unknown or canary
	Reason    string
	Identity  string
	Scopes    []string
	ExpiresAt string
	Kind      string
	Verifier  string
}

// RecordVerification stores an answer about a secret. The secret's status
// is the last definite answer: an unknown answer (a timeout, a rate limit)
// after live or dead keeps that status and updates only the time and the
// reason. A change of status is appended to the secret's history; becoming
// live sets live_since, becoming dead sets dead_since (found dead on).
// It returns whether the status changed.
func (s *Store) RecordVerification(ctx context.Context, secretID string, v Verification, at time.Time) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("recording a verification: %w", err)
	}
	defer tx.Rollback()
	var old, liveSince, deadSince string
	if err := tx.QueryRowContext(ctx, `SELECT status, live_since, dead_since FROM secrets WHERE id = ?`, secretID).Scan(&old, &liveSince, &deadSince); err != nil {
		return false, fmt.Errorf("recording a verification of secret %s: %w", secretID[:12], err)
	}
	now := ts(at)
	status := v.Status
	if status != Live && status != Dead && status != Canary {
		status = Unknown
		if old == Live || old == Dead || old == Canary {
			// Keep the last definite answer; note the failed attempt.
			_, err := tx.ExecContext(ctx, `UPDATE secrets SET reason = ?, checked_at = ? WHERE id = ?`, v.Reason, now, secretID)
			if err != nil {
				return false, err
			}
			return false, tx.Commit()
		}
	}
	changed := status != old
	switch {
	case status == Live && old != Live:
		liveSince, deadSince = now, ""
	case status == Dead && old != Dead:
		deadSince = now
	}
	if _, err := tx.ExecContext(ctx, `UPDATE secrets SET status = ?, reason = ?, identity = ?, scopes = ?, expires_at = ?, kind = ?,
			verifier = ?, checked_at = ?, live_since = ?, dead_since = ? WHERE id = ?`,
		status, v.Reason, v.Identity, jsonText(v.Scopes, "[]"), v.ExpiresAt, v.Kind, v.Verifier, now, liveSince, deadSince, secretID); err != nil {
		return false, fmt.Errorf("recording a verification: %w", err)
	}
	if changed {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO status_history(secret_id, at, status) VALUES (?, ?, ?)`, secretID, now, status); err != nil {
			return false, fmt.Errorf("recording a status change: %w", err)
		}
	}
	return changed, tx.Commit()
}

// CountLive is the number of secrets whose status is live.
func (s *Store) CountLive(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM secrets WHERE status = 'live'`).Scan(&n)
	return n, err
}

// Unverified lists the ids of secrets never verified.
func (s *Store) Unverified(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM secrets WHERE status = '' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("listing unverified secrets: %w", err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// gitOf is a finding's git origin, empty when it has none (the store keeps
// git provenance in columns of its own).
func gitOf(f *finding.Finding) finding.GitOrigin {
	if f.Git == nil {
		return finding.GitOrigin{}
	}
	return *f.Git
}
