package store

import (
	"strings"
	"testing"
)

// A shared migration with an engine's file of the same number is one
// migration, the shared part first; every number stands once.
func TestMigrationsJoinSharedAndEngineParts(t *testing.T) {
	for engine, want := range map[string]string{SQLite: "quick_answers_fts", Postgres: "gin_trgm_ops"} {
		ms, err := migrations(engine)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int]bool{}
		for _, m := range ms {
			if seen[m.version] {
				t.Errorf("%s: migration %d twice", engine, m.version)
			}
			seen[m.version] = true
			if m.version != 14 {
				continue
			}
			shared, own := strings.Index(m.sql, "CREATE TABLE quick_answers"), strings.Index(m.sql, want)
			if m.name != "0014_quick_answers.sql" || shared < 0 || own < shared {
				t.Errorf("%s: 0014 is %s, shared part at %d, own at %d", engine, m.name, shared, own)
			}
		}
	}
}
