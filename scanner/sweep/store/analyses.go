package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/achilles-sec/achilles/scanner/finding"
)

// RecordAnalysis keeps what a live secret reaches, replacing an earlier
// analysis of it; Exposures hands it back with each of its findings.
func (s *Store) RecordAnalysis(ctx context.Context, secretID string, a *finding.Analysis, at time.Time) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("recording an analysis: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO analyses(secret_id, analysis, at) VALUES (?, ?, ?)
		ON CONFLICT(secret_id) DO UPDATE SET analysis = excluded.analysis, at = excluded.at`, secretID, string(b), ts(at)); err != nil {
		return fmt.Errorf("recording an analysis: %w", err)
	}
	return nil
}
