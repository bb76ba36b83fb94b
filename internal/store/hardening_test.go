package store_test

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// An e-mail another account uses is a conflict (409) naming the field, on
// create and on change, in the same workspace or another.
func TestEmailTakenIsConflict(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		other, err := f.s.CreateWorkspace(ctx, "Other", workspace.Free)
		if err != nil {
			t.Fatal(err)
		}
		mk := func(wsID, email string) (user.User, error) {
			return f.s.CreateUser(ctx, user.User{WorkspaceID: wsID, Email: email, Name: "N", Role: user.Manager, Active: true, PasswordHash: "h"})
		}
		if _, err := mk(f.ws.ID, "ann@x.io"); err != nil {
			t.Fatal(err)
		}
		bob, err := mk(f.ws.ID, "bob@x.io")
		if err != nil {
			t.Fatal(err)
		}
		wantTaken := func(what string, err error) {
			t.Helper()
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Conflict || ae.Field != "email" {
				t.Fatalf("%s: %v, want a conflict on email", what, err)
			}
		}
		_, err = mk(f.ws.ID, "ann@x.io")
		wantTaken("create, same workspace", err)
		_, err = mk(other.ID, "ann@x.io")
		wantTaken("create, other workspace", err)
		_, err = f.s.UpdateUser(ctx, f.ws.ID, bob.ID, func(u *user.User) error { u.Email = "ann@x.io"; return nil })
		wantTaken("update", err)
		if u, err := f.s.GetUser(ctx, f.ws.ID, bob.ID); err != nil || u.Email != "bob@x.io" {
			t.Fatalf("bob after the refused change: %+v %v", u, err)
		}
	})
}

// A cursor is opaque but comes from outside: one forged around an id that
// is not an id (NUL, invalid UTF-8) is refused before it reaches SQL.
func TestForgedCursorIsInvalid(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		for _, raw := range []string{"1:\x00", "1:\xff\xfe", "1:not-an-id", "x:01890000-0000-7000-8000-000000000000", "1:", ":"} {
			c := base64.RawURLEncoding.EncodeToString([]byte(raw))
			_, err := f.s.ListDialogs(ctx, f.ws.ID, dialog.ListFilter{Cursor: c})
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid || ae.Field != "cursor" {
				t.Errorf("cursor of %q: %v, want invalid cursor", raw, err)
			}
		}
		c := base64.RawURLEncoding.EncodeToString([]byte("1:01890000-0000-7000-8000-000000000000"))
		if _, err := f.s.ListDialogs(ctx, f.ws.ID, dialog.ListFilter{Cursor: c}); err != nil {
			t.Errorf("a well-formed cursor: %v", err)
		}
	})
}

// Presence of an absence's times is the API's business; the store judges a
// zero time like any other.
func TestAbsenceZeroTimeIsATime(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		u, err := f.s.CreateUser(ctx, user.User{WorkspaceID: f.ws.ID, Email: "ann@x.io", Name: "Ann", Role: user.Manager, Active: true, PasswordHash: "h"})
		if err != nil {
			t.Fatal(err)
		}
		a, err := f.s.CreateAbsence(ctx, f.ws.ID, store.Absence{UserID: u.ID, Kind: "other", EndsAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil || !a.StartsAt.IsZero() {
			t.Fatalf("absence from the zero time: %+v %v", a, err)
		}
		_, err = f.s.CreateAbsence(ctx, f.ws.ID, store.Absence{UserID: u.ID, Kind: "other", StartsAt: time.Now()})
		mustCode(t, err, apperr.Invalid) // ends before it starts
	})
}
