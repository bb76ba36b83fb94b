package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/openlines/openlines/internal/apperr"
)

// Causes of an unavailable database, as counted in the metrics.
const (
	CauseConnection = "database_connection" // the database cannot be reached or dropped the connection
	CauseTimeout    = "timeout"             // the request was cancelled or ran out of time
	CauseBusy       = "database_busy"       // the database is overloaded, locked or full
	CauseShutdown   = "shutdown"            // the server or the database is shutting down
)

// UnavailableCause says why err means the database cannot serve now, or ""
// when it means something else (a bug, a constraint). Connection loss,
// timeouts, an overloaded or shutting-down database are temporary: the
// client is told 503 and to retry, never 500.
func UnavailableCause(err error) string {
	if err == nil {
		return ""
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"): // connection exception
			return CauseConnection
		case pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03": // admin/crash shutdown, cannot connect now
			return CauseShutdown
		case strings.HasPrefix(pe.Code, "53"): // insufficient resources: too many connections, disk full, out of memory
			return CauseBusy
		case pe.Code == "57014": // query cancelled (statement_timeout)
			return CauseTimeout
		}
		return ""
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL:
			return CauseBusy
		}
		return ""
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), pgconn.Timeout(err):
		return CauseTimeout
	case isClosedDB(err):
		return CauseShutdown
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return CauseConnection
	}
	if strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "unexpected EOF") {
		return CauseConnection // pgx wraps some of these without an unwrappable cause
	}
	return ""
}

// isClosedDB: database/sql's "database is closed" has no exported value.
func isClosedDB(err error) bool {
	return strings.Contains(err.Error(), "sql: database is closed")
}

// Unavailable wraps err as an Unavailable apperr carrying its cause.
func Unavailable(err error, cause string) error {
	msg := "the database is not reachable right now; try again shortly"
	switch cause {
	case CauseTimeout:
		msg = "the request was cancelled or timed out"
	case CauseBusy:
		msg = "the database is busy; try again shortly"
	case CauseShutdown:
		msg = "the server is shutting down or the database is restarting; try again shortly"
	}
	return &apperr.Error{Code: apperr.Unavailable, Message: msg, Err: &causeError{cause: cause, err: err}}
}

// causeError keeps the cause of an unavailable error for the metrics.
type causeError struct {
	cause string
	err   error
}

func (e *causeError) Error() string { return e.cause + ": " + e.err.Error() }
func (e *causeError) Unwrap() error { return e.err }

// CauseOf returns the cause recorded in an Unavailable error made by the
// store, or classifies err afresh.
func CauseOf(err error) string {
	var ce *causeError
	if errors.As(err, &ce) {
		return ce.cause
	}
	return UnavailableCause(err)
}
