package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// revocationsSchema is the table of `achilles revoke` attempts. It is made
// when first needed, so a sweep database that never had a revocation is
// the same file as before.
const revocationsSchema = `
CREATE TABLE IF NOT EXISTS revocations (
	at          TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	secret_id   TEXT NOT NULL DEFAULT '',
	rule_id     TEXT NOT NULL,
	provider    TEXT NOT NULL,
	status      TEXT NOT NULL,   -- revoked, already-invalid or failed
	answer      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS revocations_fingerprint ON revocations(fingerprint);
`

// Stored is a stored finding by fingerprint, with its secret in clear: what
// `achilles revoke --db` revokes.
type Stored struct {
	Fingerprint string
	Repo        string
	RuleID      string
	SecretID    string
	Secret      string
	// Related is the finding's companions by rule id, as the scan found
	// them (finding.Companions splits out the ambiguous ones).
	Related        map[string]string
	ChecksumFailed bool
	// Status is the secret's last verification status ("" never verified).
	Status string
}

// ByFingerprint returns the stored findings with those fingerprints, one
// for each fingerprint found (the first repository's, when several
// repositories hold it), in the order asked, and the fingerprints not in
// the database.
func (s *Store) ByFingerprint(ctx context.Context, fingerprints []string) ([]Stored, []string, error) {
	var out []Stored
	var missing []string
	seen := map[string]bool{}
	for _, fp := range fingerprints {
		fp = strings.TrimSpace(fp)
		if fp == "" || seen[fp] {
			continue
		}
		seen[fp] = true
		var st Stored
		var related string
		err := s.db.QueryRowContext(ctx, `SELECT f.fingerprint, f.repo, f.rule_id, f.secret_id, f.secret, f.parts, f.checksum_failed, coalesce(s.status, '')
			FROM findings f LEFT JOIN secrets s ON s.id = f.secret_id WHERE f.fingerprint = ? ORDER BY f.repo LIMIT 1`, fp).
			Scan(&st.Fingerprint, &st.Repo, &st.RuleID, &st.SecretID, &st.Secret, &related, &st.ChecksumFailed, &st.Status)
		if err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				missing = append(missing, fp)
				continue
			}
			return nil, nil, fmt.Errorf("reading finding %s: %w", fp, err)
		}
		_ = json.Unmarshal([]byte(related), &st.Related)
		out = append(out, st)
	}
	return out, missing, nil
}

// Revocation is one revocation attempt.
type Revocation struct {
	At          time.Time
	Fingerprint string
	SecretID    string
	RuleID      string
	Provider    string
	Status      string
	Answer      string
}

// RecordRevocation appends an attempt to the revocations table, creating
// the table if the database has none.
func (s *Store) RecordRevocation(ctx context.Context, r Revocation) error {
	if _, err := s.db.ExecContext(ctx, revocationsSchema); err != nil {
		return fmt.Errorf("creating the revocations table: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO revocations(at, fingerprint, secret_id, rule_id, provider, status, answer) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ts(r.At), r.Fingerprint, r.SecretID, r.RuleID, r.Provider, r.Status, r.Answer); err != nil {
		return fmt.Errorf("recording a revocation: %w", err)
	}
	return nil
}

// Revocations lists every recorded attempt, oldest first.
func (s *Store) Revocations(ctx context.Context) ([]Revocation, error) {
	if _, err := s.db.ExecContext(ctx, revocationsSchema); err != nil {
		return nil, fmt.Errorf("creating the revocations table: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT at, fingerprint, secret_id, rule_id, provider, status, answer FROM revocations ORDER BY at, rowid`)
	if err != nil {
		return nil, fmt.Errorf("listing revocations: %w", err)
	}
	defer rows.Close()
	var out []Revocation
	for rows.Next() {
		var r Revocation
		var at string
		if err := rows.Scan(&at, &r.Fingerprint, &r.SecretID, &r.RuleID, &r.Provider, &r.Status, &r.Answer); err != nil {
			return nil, fmt.Errorf("listing revocations: %w", err)
		}
		r.At = ParseTime(at)
		out = append(out, r)
	}
	return out, rows.Err()
}
