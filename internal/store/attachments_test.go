package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

func file(id, name, ct string, size int64) *dialog.Attachment {
	return &dialog.Attachment{ID: id, Name: name, ContentType: ct, Size: size, Image: dialog.IsImage(ct), SHA256: fmt.Sprintf("%064d", size)}
}

// A file goes each way: the customer's and the operator's file messages
// carry their file in the timeline and in the events; a file is no
// answer to a rating request; a line's deletion takes the files' rows and
// counts the workspace's total again.
func TestFileMessages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		var mu sync.Mutex
		var created []*dialog.Message
		s := storetest.Open(t, engine, store.Options{OnCommit: func(evs []events.Event) {
			mu.Lock()
			defer mu.Unlock()
			for _, e := range evs {
				if m, ok := e.Data.(*dialog.Message); ok && e.Type == events.MessageCreated {
					created = append(created, m)
				}
			}
		}})
		ws, _ := s.CreateWorkspace(ctx, "Acme", workspace.Enterprise)
		st := quiet()
		ln, _ := s.CreateLine(ctx, ws.ID, "Support", st)
		f := fixture{s: s, ws: ws, ln: ln}
		f.ch, _ = s.CreateChannel(ctx, channel.Channel{WorkspaceID: ws.ID, LineID: ln.ID, Type: channel.TypeAPI, Name: "api"})
		op, err := s.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: "op@x.io", Name: "Op", Role: user.Manager, Active: true, PasswordHash: "h"})
		if err != nil {
			t.Fatal(err)
		}

		in := f.inbound("c1", "m1", "photo.png")
		in.File = file("01aaaaaa-0000-7000-8000-000000000001", "photo.png", "image/png", 1234)
		r, err := s.Ingest(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		// Twice is once (the same external id).
		if again, err := s.Ingest(ctx, in); err != nil || !again.Duplicate || again.MessageID != r.MessageID {
			t.Fatalf("the same file twice: %+v %v", again, err)
		}
		m, err := s.AddOperatorFile(ctx, ws.ID, r.DialogID, store.Writer{UserID: op.ID, MayIntercept: true}, *file("01aaaaaa-0000-7000-8000-000000000002", "invoice.pdf", "application/pdf", 99))
		if err != nil {
			t.Fatal(err)
		}
		if m.Attachment == nil || m.Attachment.Name != "invoice.pdf" || m.Text != "invoice.pdf" || m.AuthorID == nil || *m.AuthorID != op.ID {
			t.Fatalf("the operator's file message: %+v", m)
		}
		ms, err := s.ListMessages(ctx, ws.ID, r.DialogID, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		var files []dialog.Attachment
		for _, m := range ms {
			if m.Attachment != nil {
				files = append(files, *m.Attachment)
			}
		}
		if len(files) != 2 || files[0] != *in.File || !files[0].Image || files[1].Name != "invoice.pdf" || files[1].Image {
			t.Fatalf("the timeline's files: %+v", files)
		}
		mu.Lock()
		var live []string
		for _, m := range created {
			if m.Attachment != nil {
				live = append(live, m.Attachment.Name)
			}
		}
		mu.Unlock()
		if len(live) != 2 || live[0] != "photo.png" || live[1] != "invoice.pdf" {
			t.Fatalf("the events' files: %v", live)
		}
		got, err := s.GetAttachment(ctx, ws.ID, in.File.ID)
		if err != nil || got.DialogID != r.DialogID || got.MessageID != r.MessageID || got.Attachment != *in.File {
			t.Fatalf("get: %+v %v", got, err)
		}
		other, _ := s.CreateWorkspace(ctx, "Other", workspace.Enterprise)
		_, err = s.GetAttachment(ctx, other.ID, in.File.ID)
		mustCode(t, err, apperr.NotFound)

		// Quota: reserved up to it, refused past it, given back.
		mustOK := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		mustOK(s.ReserveFiles(ctx, ws.ID, 1234, 2000))
		mustOK(s.ReserveFiles(ctx, ws.ID, 99, 2000))
		err = s.ReserveFiles(ctx, ws.ID, 700, 2000)
		mustCode(t, err, apperr.TooLarge)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Reason != "quota_exceeded" {
			t.Fatalf("refused past the quota: %v", err)
		}
		mustOK(s.ReserveFiles(ctx, ws.ID, 667, 2000)) // exactly the quota
		mustOK(s.ReleaseFiles(ctx, ws.ID, 667))
		if n, err := s.FilesUsed(ctx, ws.ID); err != nil || n != 1333 {
			t.Fatalf("used %d %v, want 1333", n, err)
		}
		if n, _ := s.FilesUsed(ctx, other.ID); n != 0 {
			t.Fatalf("another workspace uses %d", n)
		}
		// The line goes with its files.
		ids, err := s.LineAttachments(ctx, ws.ID, ln.ID)
		if err != nil || len(ids) != 2 {
			t.Fatalf("the line's files: %v %v", ids, err)
		}
		mustOK(s.DeleteLine(ctx, ws.ID, ln.ID, func(line.Line) error { return nil }))
		_, err = s.GetAttachment(ctx, ws.ID, in.File.ID)
		mustCode(t, err, apperr.NotFound)
		if n, _ := s.FilesUsed(ctx, ws.ID); n != 0 {
			t.Fatalf("after the line's deletion the workspace uses %d", n)
		}
	})
}
