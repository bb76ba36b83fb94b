package store

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
