package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
)

// MergeStats says what a merge took from a source database.
type MergeStats struct {
	Repos, Kept int // repositories taken from the source; kept from the destination
}

// secretState are the columns of a secret's verification state, taken
// together from whichever database checked the secret last.
var secretState = []string{"status", "reason", "identity", "scopes", "expires_at", "kind", "verifier", "checked_at", "live_since", "dead_since"}

// Merge adds the database at srcPath to s. A repository in both keeps the
// newer scan (later scanned_at; for repositories never scanned, the later
// update) with that scan's findings only. Each secret's verification state
// is the most recently checked one; status histories are joined.
func (s *Store) Merge(ctx context.Context, srcPath string) (MergeStats, error) {
	var st MergeStats
	if _, err := os.Stat(srcPath); err != nil {
		return st, fmt.Errorf("merging: %w", err)
	}
	src, err := Open(srcPath) // checks the schema version and folds its WAL in
	if err != nil {
		return st, err
	}
	theirs, err := src.Repos(ctx)
	src.Close()
	if err != nil {
		return st, err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return st, err
	}
	defer conn.Close()
	srcURI, err := fileURI(srcPath)
	if err != nil {
		return st, fmt.Errorf("merging %s: %w", srcPath, err)
	}
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS src`, srcURI+"?mode=ro"); err != nil {
		return st, fmt.Errorf("opening %s for merging: %w", srcPath, err)
	}
	defer conn.ExecContext(context.Background(), `DETACH DATABASE src`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return st, err
	}
	defer tx.Rollback()
	for _, r := range theirs {
		var mine Repo
		mine, err = scanRepo(tx.QueryRowContext(ctx, `SELECT `+repoColumns+` FROM main.repos WHERE key = ?`, r.Key))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return st, fmt.Errorf("merging %s: %w", r.Key, err)
		}
		if err == nil && !newer(r, mine) {
			st.Kept++
			continue
		}
		for _, q := range []string{
			`DELETE FROM main.findings WHERE repo = ?`,
			`DELETE FROM main.hosted_state WHERE repo = ?`,
			`INSERT OR REPLACE INTO main.repos SELECT * FROM src.repos WHERE key = ?`,
			`INSERT INTO main.findings SELECT * FROM src.findings WHERE repo = ?`,
			`INSERT INTO main.hosted_state SELECT * FROM src.hosted_state WHERE repo = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, r.Key); err != nil {
				return st, fmt.Errorf("merging %s from %s: %w", r.Key, srcPath, err)
			}
		}
		st.Repos++
	}
	var set []string
	for _, c := range secretState {
		set = append(set, fmt.Sprintf("%s = CASE WHEN excluded.checked_at > secrets.checked_at THEN excluded.%s ELSE secrets.%s END", c, c, c))
	}
	for _, q := range []string{
		`INSERT INTO main.secrets SELECT * FROM src.secrets WHERE true ON CONFLICT(id) DO UPDATE SET
			first_seen = min(secrets.first_seen, excluded.first_seen), ` + strings.Join(set, ", "),
		`INSERT OR IGNORE INTO main.status_history SELECT * FROM src.status_history`,
		// Secrets only the replaced scans held.
		`DELETE FROM main.status_history WHERE secret_id NOT IN (SELECT secret_id FROM main.findings)`,
		`DELETE FROM main.secrets WHERE id NOT IN (SELECT secret_id FROM main.findings)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return st, fmt.Errorf("merging secrets from %s: %w", srcPath, err)
		}
	}
	return st, tx.Commit()
}

// newer reports whether a holds a newer scan than b.
func newer(a, b Repo) bool {
	if !a.ScannedAt.Equal(b.ScannedAt) {
		return a.ScannedAt.After(b.ScannedAt)
	}
	return a.UpdatedAt.After(b.UpdatedAt)
}
