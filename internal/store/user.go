package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/user"
)

var (
	qInsertUser = q(`INSERT INTO users (id, workspace_id, email, name, role, password_hash, active, server_admin, created_at, updated_at, role_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`)
	qLockUser        = q(`SELECT ` + userCols + ` FROM users WHERE workspace_id = $1 AND id = $2{{FOR_UPDATE}}`)
	qUpdateUser      = q(`UPDATE users SET email = $3, name = $4, role = $5, password_hash = $6, active = $7, updated_at = $8, locale = $9, role_id = $10 WHERE workspace_id = $1 AND id = $2`)
	qDeleteUserAuth  = q(`DELETE FROM auth_sessions WHERE user_id = $1`)
	qInsertAuth      = q(`INSERT INTO auth_sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`)
	qTokenHash       = q(`SELECT token_hash FROM api_tokens WHERE workspace_id = $1 AND id = $2 AND user_id = $3`)
	qDeleteAuth      = q(`DELETE FROM auth_sessions WHERE token_hash = $1`)
	qAuthOwner       = q(`SELECT a.user_id, u.workspace_id FROM auth_sessions a JOIN users u ON u.id = a.user_id WHERE a.token_hash = $1`)
	qDeleteExpired   = q(`DELETE FROM auth_sessions WHERE expires_at < $1`)
	qInsertToken     = q(`INSERT INTO api_tokens (id, workspace_id, user_id, name, token_hash, created_at, permissions) VALUES ($1, $2, $3, $4, $5, $6, $7)`)
	qDeleteToken     = q(`DELETE FROM api_tokens WHERE workspace_id = $1 AND id = $2 AND user_id = $3`)
	qUserEmailExists = q(`SELECT COUNT(*) FROM users WHERE email = $1 AND id <> $2`)
)

const userCols = `id, workspace_id, email, name, role, password_hash, active, server_admin, created_at, updated_at, locale, role_id`

func scanUser(sc interface{ Scan(...any) error }) (user.User, error) {
	var u user.User
	var created, updated int64
	var roleID sql.NullString
	err := sc.Scan(&u.ID, &u.WorkspaceID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.Active, &u.ServerAdmin, &created, &updated, &u.Locale, &roleID)
	if roleID.Valid {
		u.Role = user.Role(roleID.String)
	}
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	return u, err
}

// roleColumns splits a role key into the stored role and role_id: a
// predefined key, or 'manager' with the custom role's id.
func roleColumns(r user.Role) (string, any) {
	if access.IsPredefined(string(r)) {
		return string(r), nil
	}
	return access.Manager, string(r)
}

// scanAlso scans columns after the ones a scan function knows into extra.
type scanAlso struct {
	sc    interface{ Scan(...any) error }
	extra any
}

func (a scanAlso) Scan(dest ...any) error { return a.sc.Scan(append(dest, a.extra)...) }

// CreateUser stores a new user; ID and times are set here. The e-mail must
// be unused on the whole server.
func (s *Store) CreateUser(ctx context.Context, u user.User) (user.User, error) {
	u.ID = newID()
	u.CreatedAt = s.now()
	u.UpdatedAt = u.CreatedAt
	err := s.inTx(ctx, func(t *tx) error {
		if err := t.checkRole(u.WorkspaceID, u.Role); err != nil {
			return err
		}
		role, roleID := roleColumns(u.Role)
		_, err := t.exec(qInsertUser, u.ID, u.WorkspaceID, u.Email, u.Name, role, u.PasswordHash, u.Active, u.ServerAdmin, micros(u.CreatedAt), micros(u.UpdatedAt), roleID)
		if isUniqueViolation(err) {
			return emailTaken(u.Email)
		}
		if err != nil {
			return err
		}
		return t.audit(u.WorkspaceID, "user", u.ID, "create", nil, u)
	})
	return u, dbErr(err, "create user")
}

// emailTaken is the conflict of an e-mail that another account uses: the
// request is well-formed but collides with what is stored (409, field email).
func emailTaken(email string) error {
	return &apperr.Error{Code: apperr.Conflict, Field: "email", Message: "email: " + email + " is already used by another account"}
}

// GetUser returns a user of the workspace.
func (s *Store) GetUser(ctx context.Context, wsID, id string) (user.User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE workspace_id = $1 AND id = $2`, wsID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, apperr.NotFoundf("user %s not found", id)
	}
	return u, dbErr(err, "get user")
}

// UserByEmail finds a user by e-mail across the server, for sign-in.
func (s *Store) UserByEmail(ctx context.Context, email string) (user.User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = $1`, email))
	if errors.Is(err, sql.ErrNoRows) {
		return u, apperr.NotFoundf("no user with e-mail %s", email)
	}
	return u, dbErr(err, "get user")
}

// ListUsers returns the users of a workspace, oldest first; a non-nil
// within lists only those users.
func (s *Store) ListUsers(ctx context.Context, wsID string, within []string) ([]user.User, error) {
	args := []any{wsID}
	cond := ""
	if within != nil {
		cond = ` AND id IN (` + bind(&args, within) + `)`
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE workspace_id = $1`+cond+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, dbErr(err, "list users")
	}
	return collect(rows, scanUser)
}

// CountUsers returns how many users the server has; zero means first run.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, dbErr(err, "count users")
}

// UpdateUser applies change to a user in one transaction. It refuses to
// leave a workspace without an active administrator. Deactivating a user or
// changing the password ends the user's sign-in sessions.
func (s *Store) UpdateUser(ctx context.Context, wsID, id string, change func(*user.User) error) (user.User, error) {
	var out user.User
	err := s.inTx(ctx, func(t *tx) error {
		old, err := scanUser(t.stmt(qLockUser).QueryRowContext(ctx, wsID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("user %s not found", id)
		}
		if err != nil {
			return err
		}
		u := old
		if err := change(&u); err != nil {
			return err
		}
		if u.Email != old.Email {
			var n int
			if err := t.row(qUserEmailExists, []any{u.Email, u.ID}, &n); err != nil {
				return err
			}
			if n > 0 {
				return emailTaken(u.Email)
			}
		}
		if u.Role != old.Role {
			if err := t.checkRole(wsID, u.Role); err != nil {
				return err
			}
		}
		u.UpdatedAt = s.now()
		role, roleID := roleColumns(u.Role)
		if _, err := t.exec(qUpdateUser, wsID, id, u.Email, u.Name, role, u.PasswordHash, u.Active, micros(u.UpdatedAt), u.Locale, roleID); err != nil {
			if isUniqueViolation(err) {
				return emailTaken(u.Email)
			}
			return err
		}
		if u.Role != old.Role || u.Active != old.Active {
			grants, err := t.grantsOf(wsID)
			if err != nil {
				return err
			}
			if err := t.keepGuardians(wsID, "changing "+old.Email, grants, lostGuardians(userGrants(grants, old), userGrants(grants, u))); err != nil {
				return err
			}
		}
		if err := t.audit(wsID, "user", id, "update", old, u); err != nil {
			return err
		}
		if !u.Active || u.PasswordHash != old.PasswordHash {
			if _, err := t.exec(qDeleteUserAuth, id); err != nil {
				return err
			}
			reason := "password_changed"
			if !u.Active {
				reason = "deactivated"
			}
			t.emit(events.Event{Type: events.AuthRevoked, WorkspaceID: wsID, UserIDs: []string{id}, Reason: reason})
			if u.PasswordHash != old.PasswordHash {
				if err := t.audit(wsID, "user", id, "password_changed", nil, nil); err != nil {
					return err
				}
			}
		}
		t.emit(events.Event{Type: events.UserChanged, WorkspaceID: wsID, UserIDs: []string{id}})
		if u.Active && !old.Active {
			if err := t.capacityForUser(wsID, id); err != nil {
				return err
			}
		}
		out = u
		return nil
	})
	return out, dbErr(err, "update user")
}

// CreateAuthSession stores a sign-in session under the hash of its secret.
func (s *Store) CreateAuthSession(ctx context.Context, userID, tokenHash string, ttl time.Duration) (time.Time, error) {
	now := s.now()
	exp := now.Add(ttl)
	err := s.inTx(ctx, func(t *tx) error {
		if _, err := t.exec(qDeleteExpired, micros(now)); err != nil {
			return err
		}
		_, err := t.exec(qInsertAuth, tokenHash, userID, micros(now), micros(exp))
		return err
	})
	return exp, dbErr(err, "create session")
}

// DeleteAuthSession ends a sign-in session; its open connections close
// (an auth.revoked event).
func (s *Store) DeleteAuthSession(ctx context.Context, tokenHash string) error {
	return dbErr(s.inTx(ctx, func(t *tx) error {
		var userID, wsID string
		err := t.row(qAuthOwner, []any{tokenHash}, &userID, &wsID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // already ended
		}
		if err != nil {
			return err
		}
		if _, err := t.exec(qDeleteAuth, tokenHash); err != nil {
			return err
		}
		t.emit(events.Event{Type: events.AuthRevoked, WorkspaceID: wsID, UserIDs: []string{userID}, AuthSession: user.SessionKey(tokenHash), Reason: "signed_out"})
		return nil
	}), "delete session")
}

// UserBySession returns the active user of a live sign-in session.
func (s *Store) UserBySession(ctx context.Context, tokenHash string) (user.User, error) {
	u, _, err := s.AuthSession(ctx, tokenHash)
	return u, err
}

// AuthSession returns the active user of a live sign-in session and when
// the session expires.
func (s *Store) AuthSession(ctx context.Context, tokenHash string) (user.User, time.Time, error) {
	var exp int64
	u, err := scanUser(scanAlso{s.read.QueryRowContext(ctx, `SELECT `+prefixed("u.", userCols)+`, a.expires_at FROM auth_sessions a JOIN users u ON u.id = a.user_id
		WHERE a.token_hash = $1 AND a.expires_at > $2 AND u.active`, tokenHash, micros(s.now())), &exp})
	if errors.Is(err, sql.ErrNoRows) {
		return u, time.Time{}, apperr.New(apperr.Unauthorized, "the session has expired or ended; sign in again")
	}
	return u, fromMicros(exp), dbErr(err, "get session")
}

// APIToken is an API token's record; its secret is never stored.
type APIToken struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// Permissions, when set, narrow the token below its user's rights.
	// null: the user's rights; {} is a token that may do nothing.
	Permissions access.Grants `json:"permissions"`
}

// CreateAPIToken stores a token for a user under the hash of its secret; a
// non-nil limit narrows what it may do to those permissions.
func (s *Store) CreateAPIToken(ctx context.Context, u user.User, name, tokenHash string, limit access.Grants) (APIToken, error) {
	tok := APIToken{ID: newID(), UserID: u.ID, Name: name, CreatedAt: s.now(), Permissions: limit}
	var perms any
	if limit != nil {
		perms = limit.Encode()
	}
	err := s.inTx(ctx, func(t *tx) error {
		_, err := t.exec(qInsertToken, tok.ID, u.WorkspaceID, u.ID, name, tokenHash, micros(tok.CreatedAt), perms)
		return err
	})
	return tok, dbErr(err, "create token")
}

// ListAPITokens returns a user's tokens.
func (s *Store) ListAPITokens(ctx context.Context, wsID, userID string) ([]APIToken, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, user_id, name, created_at, permissions FROM api_tokens WHERE workspace_id = $1 AND user_id = $2 ORDER BY created_at, id`, wsID, userID)
	if err != nil {
		return nil, dbErr(err, "list tokens")
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (APIToken, error) {
		var t APIToken
		var c int64
		var perms sql.NullString
		if err := sc.Scan(&t.ID, &t.UserID, &t.Name, &c, &perms); err != nil {
			return t, err
		}
		t.CreatedAt = fromMicros(c)
		if perms.Valid {
			g, err := access.DecodeGrants(perms.String)
			t.Permissions = g
			return t, err
		}
		return t, nil
	})
}

// DeleteAPIToken revokes one of a user's tokens.
func (s *Store) DeleteAPIToken(ctx context.Context, wsID, userID, id string) error {
	return dbErr(s.inTx(ctx, func(t *tx) error {
		var hash string
		err := t.row(qTokenHash, []any{wsID, id, userID}, &hash)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("token %s not found", id)
		}
		if err != nil {
			return err
		}
		if _, err := t.exec(qDeleteToken, wsID, id, userID); err != nil {
			return err
		}
		t.emit(events.Event{Type: events.AuthRevoked, WorkspaceID: wsID, UserIDs: []string{userID}, AuthSession: user.SessionKey(hash), Reason: "token_revoked"})
		return nil
	}), "delete token")
}

// UserByAPIToken returns the active user owning a token.
func (s *Store) UserByAPIToken(ctx context.Context, tokenHash string) (user.User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+prefixed("u.", userCols)+` FROM api_tokens k JOIN users u ON u.id = k.user_id
		WHERE k.token_hash = $1 AND u.active`, tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return u, apperr.New(apperr.Unauthorized, "the API token is unknown or revoked")
	}
	return u, dbErr(err, "get token")
}
