package store

import (
	"context"

	"github.com/openlines/openlines/internal/quickanswer"
)

// SetSearchHitsMax sets how many matching customers the workspace's search
// looks up by customer before it walks the recent dialogs instead, so that
// tests take both ways; the returned function restores it.
func SetSearchHitsMax(n int) (restore func()) {
	old := searchHitsMax
	searchHitsMax = n
	return func() { searchHitsMax = old }
}

// FastIngested is how many customer messages the store wrote by the batch
// path (ingestFast), which fills the events' audience itself.
func (s *Store) FastIngested() int64 { return s.fastIngested.Load() }

// SeedAnswers stores answers in one transaction, each with its use count,
// for the search benchmark (50,000 one at a time take minutes).
func (s *Store) SeedAnswers(wsID, sectionID string, texts []string, uses []int64) error {
	return s.inTx(context.Background(), func(t *tx) error {
		for i, text := range texts {
			a := quickanswer.Answer{SectionID: sectionID, Text: text}
			if err := quickanswer.Prepare(&a, false); err != nil {
				return err
			}
			if err := t.insertAnswer(wsID, &a); err != nil {
				return err
			}
			if _, err := t.tx.ExecContext(t.ctx, `UPDATE quick_answers SET use_count = $2 WHERE id = $1`, a.ID, uses[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetUsageScan sets how many of the most used answers the quick answers'
// search checks before it asks the trigram index (0: the index at once).
func SetUsageScan(n int) (restore func()) {
	old := usageScan
	usageScan = n
	return func() { usageScan = old }
}

// OpenAt opens the database named by dsn with its schema migrated only up
// to version upTo, as an older release left it: for the upgrade tests,
// which write an older schema's rows with Exec and then Open it.
func OpenAt(ctx context.Context, dsn string, upTo int) (*Store, error) {
	s, err := open(ctx, dsn, Options{})
	if err != nil {
		return nil, err
	}
	if err := s.migrateTo(ctx, upTo); err != nil {
		s.closeDBs()
		return nil, err
	}
	return s, nil
}

// Exec runs a statement on the write pool (upgrade tests only).
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	_, err := s.write.ExecContext(ctx, query, args...)
	return err
}

// CloseRaw closes a store OpenAt opened.
func (s *Store) CloseRaw() { s.closeDBs() }

// MigrationVersions lists the migrations' numbers, oldest first.
func MigrationVersions() []int {
	ms, _ := migrations(SQLite)
	vs := make([]int, len(ms))
	for i, m := range ms {
		vs[i] = m.version
	}
	return vs
}

// Analyze brings PostgreSQL's statistics of the quick answers up to date,
// as autovacuum does on a live server (the search's benchmark measures the
// plans the server runs then). SQLite's planner uses none (the server runs
// no ANALYZE).
func (s *Store) Analyze() error {
	if s.engine != Postgres {
		return nil
	}
	_, err := s.write.Exec(`VACUUM ANALYZE quick_answers`)
	return err
}
