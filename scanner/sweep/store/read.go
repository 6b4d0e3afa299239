package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// Exposure is one stored finding with its repository and the state of its
// secret: what a report shows.
type Exposure struct {
	Repo     string // repository key
	RepoURL  string
	Finding  Finding
	SecretID string
	// The secret's state (Status "" when it was never verified).
	Verification Verification
	CheckedAt    string
	LiveSince    string
	DeadSince    string
	FirstSeen    string // earliest commit date of the secret in any repository
	History      []StatusChange
}

// Finding is a stored finding: the finding as scanned, and when the
// sweep first and last saw it.
type Finding struct {
	finding.Finding
	FirstSeen string
	LastSeen  string
}

// StatusChange is one entry of a secret's status history.
type StatusChange struct {
	At     string `json:"at"`
	Status string `json:"status"`
}

// Exposures returns every finding with its repository and secret state,
// ordered by repository, path and line.
func (s *Store) Exposures(ctx context.Context) ([]Exposure, error) {
	history, err := s.history(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT f.repo, r.url, f.fingerprint, f.secret_id, f.rule_id, f.description, f.confidence, f.tags,
			f.secret, f.match, f.path, f.line, f.col, f.entropy, f.commit_sha, f.author, f.email, f.date, f.message, f.still_present,
			f.decoded, f.checksum_failed, f.first_seen, f.last_seen,
			coalesce(s.status, ''), coalesce(s.reason, ''), coalesce(s.identity, ''), coalesce(s.scopes, '[]'), coalesce(s.expires_at, ''),
			coalesce(s.kind, ''), coalesce(s.verifier, ''), coalesce(s.checked_at, ''), coalesce(s.live_since, ''),
			coalesce(s.dead_since, ''), coalesce(s.first_seen, ''), coalesce(a.analysis, ''), f.origin
		FROM findings f JOIN repos r ON r.key = f.repo LEFT JOIN secrets s ON s.id = f.secret_id
		LEFT JOIN analyses a ON a.secret_id = f.secret_id
		ORDER BY f.repo, f.path, f.line, f.rule_id, f.fingerprint`)
	if err != nil {
		return nil, fmt.Errorf("reading findings: %w", err)
	}
	defer rows.Close()
	var out []Exposure
	for rows.Next() {
		var e Exposure
		f := &e.Finding
		var tags, decoded, scopes string
		var present sql.NullBool
		var analysis, origin string
		g := &finding.GitOrigin{}
		if err := rows.Scan(&e.Repo, &e.RepoURL, &f.Fingerprint, &e.SecretID, &f.RuleID, &f.Description, &f.Confidence, &tags,
			&f.Secret, &f.Match, &f.Path, &f.Line, &f.Column, &f.Entropy, &g.Commit, &g.Author, &g.Email, &g.Date, &g.Message, &present,
			&decoded, &f.ChecksumFailed, &f.FirstSeen, &f.LastSeen,
			&e.Verification.Status, &e.Verification.Reason, &e.Verification.Identity, &scopes, &e.Verification.ExpiresAt,
			&e.Verification.Kind, &e.Verification.Verifier, &e.CheckedAt, &e.LiveSince, &e.DeadSince, &e.FirstSeen, &analysis, &origin); err != nil {
			return nil, fmt.Errorf("reading findings: %w", err)
		}
		_ = json.Unmarshal([]byte(tags), &f.Tags)
		if analysis != "" {
			f.Analysis = new(finding.Analysis)
			if json.Unmarshal([]byte(analysis), f.Analysis) != nil {
				f.Analysis = nil
			}
		}
		_ = json.Unmarshal([]byte(decoded), &f.Decoded)
		_ = json.Unmarshal([]byte(scopes), &e.Verification.Scopes)
		if present.Valid {
			b := present.Bool
			g.StillPresent = &b
		}
		var o storedOrigin
		switch {
		case origin != "" && json.Unmarshal([]byte(origin), &o) == nil && o.Kind != "":
			f.Kind, f.Image, f.Item = o.Kind, o.Image, o.Item
		case *g != (finding.GitOrigin{}):
			f.Kind, f.Git = finding.KindGit, g
		}
		e.History = history[e.SecretID]
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *Store) history(ctx context.Context) (map[string][]StatusChange, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT secret_id, at, status FROM status_history ORDER BY secret_id, at`)
	if err != nil {
		return nil, fmt.Errorf("reading status history: %w", err)
	}
	defer rows.Close()
	out := map[string][]StatusChange{}
	for rows.Next() {
		var id string
		var c StatusChange
		if err := rows.Scan(&id, &c.At, &c.Status); err != nil {
			return nil, fmt.Errorf("reading status history: %w", err)
		}
		out[id] = append(out[id], c)
	}
	return out, rows.Err()
}

// FindingKey names a stored finding across databases: repository and
// fingerprint.
type FindingKey struct{ Repo, Fingerprint string }

// FindingKeys lists every stored finding's key (for comparisons and tests).
func (s *Store) FindingKeys(ctx context.Context) ([]FindingKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT repo, fingerprint FROM findings ORDER BY repo, fingerprint`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FindingKey
	for rows.Next() {
		var k FindingKey
		if err := rows.Scan(&k.Repo, &k.Fingerprint); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
