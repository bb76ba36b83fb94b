// Package e2e is the end-to-end reliability suite: it builds the real
// openlines binary, runs it as a subprocess on SQLite and on PostgreSQL,
// and drives it only over HTTP while it is killed, restarted and cut off
// from its database. It has no code outside its tests.
//
// Prerequisites: OPENLINES_TEST_POSTGRES (a PostgreSQL DSN, as for the
// other suites) for the PostgreSQL halves, and the PostgreSQL server
// binaries (/usr/lib/postgresql/<version>/bin) for the outage test, which
// runs a cluster of its own. Under CI=true a missing prerequisite fails the
// test; otherwise the test is skipped with a message saying what is missing.
// OPENLINES_E2E_BINARY runs the suite against a prebuilt binary instead of
// building ./cmd/openlines (a release build, or an older commit to see what
// the suite catches).
//
// STYLE asks for timers to be tested with a fake clock, never with sleeps;
// the unit and store tests do that. Here the clock is the real one of a real
// process, so the timer test uses settings of a few seconds and bounded waits.
package e2e
