package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/dialog"
)

// Attachments (dialog.Attachment): a row per file, written in the
// transaction that writes its message, and a workspace's total for the
// quota. The bytes are the blob store's (package attach); the HTTP layer
// stores them before the row and deletes them when the row is not written.

var (
	qInsertAttachment = q(`INSERT INTO attachments (id, workspace_id, dialog_id, message_id, name, content_type, size, sha256, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`)
	qGetAttachment  = q(`SELECT ` + attachmentCols + ` FROM attachments a WHERE a.workspace_id = $1 AND a.id = $2`)
	qAttachmentByID = q(`SELECT ` + attachmentCols + ` FROM attachments a WHERE a.id = $1`)
	qFilesRow       = q(`INSERT INTO workspace_files (workspace_id, bytes) VALUES ($1, 0) ON CONFLICT (workspace_id) DO NOTHING`)
	qReserveFiles   = q(`UPDATE workspace_files SET bytes = bytes + $2 WHERE workspace_id = $1 AND bytes + $2 <= $3`)
	qReleaseFiles   = q(`UPDATE workspace_files SET bytes = CASE WHEN bytes > $2 THEN bytes - $2 ELSE 0 END WHERE workspace_id = $1`)
	qFilesUsed      = q(`SELECT COALESCE((SELECT bytes FROM workspace_files WHERE workspace_id = $1), 0)`)
	// A line's deletion takes its dialogs' files with it, and the
	// workspace's total is counted again from what is left.
	qLineAttachments    = q(`SELECT a.id FROM attachments a JOIN dialogs d ON d.id = a.dialog_id WHERE d.workspace_id = $1 AND ` + lineDialogs)
	qDelLineAttachments = q(`DELETE FROM attachments WHERE dialog_id IN (SELECT d.id FROM dialogs d WHERE ` + lineDialogsOf1 + `)`)
	qRecountFiles       = q(`UPDATE workspace_files SET bytes = (SELECT COALESCE(SUM(size), 0) FROM attachments WHERE workspace_id = $1) WHERE workspace_id = $1`)
)

const attachmentCols = `a.id, a.name, a.content_type, a.size, a.sha256, a.dialog_id, a.message_id`

// lineDialogs: the dialogs of line $2 (with their channels'), for a query
// whose $1 is the workspace; lineDialogsOf1 the same with the line as $1.
const (
	lineDialogs    = `(d.line_id = $2 OR d.channel_id IN (SELECT id FROM channels WHERE line_id = $2))`
	lineDialogsOf1 = `(d.line_id = $1 OR d.channel_id IN (SELECT id FROM channels WHERE line_id = $1))`
)

// insertAttachment writes the row of a message's file.
func (t *tx) insertAttachment(wsID, dialogID, messageID string, a *dialog.Attachment, at int64) error {
	_, err := t.exec(qInsertAttachment, a.ID, wsID, dialogID, messageID, a.Name, a.ContentType, a.Size, a.SHA256, at)
	return err
}

// StoredFile is an attachment with where it belongs: its dialog decides
// who may read it.
type StoredFile struct {
	dialog.Attachment
	DialogID, MessageID string
}

// GetAttachment reads a file's row in the workspace.
func (s *Store) GetAttachment(ctx context.Context, wsID, id string) (StoredFile, error) {
	return s.attachment(ctx, qGetAttachment, wsID, id)
}

// AttachmentByID reads a file's row in any workspace: only for a link the
// server signed (the signature names the file).
func (s *Store) AttachmentByID(ctx context.Context, id string) (StoredFile, error) {
	return s.attachment(ctx, qAttachmentByID, id)
}

func (s *Store) attachment(ctx context.Context, q *query, args ...any) (StoredFile, error) {
	var f StoredFile
	err := s.read.QueryRowContext(ctx, s.sqlOf(q), args...).Scan(&f.ID, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.DialogID, &f.MessageID)
	if errors.Is(err, sql.ErrNoRows) {
		return f, apperr.NotFoundf("file %s not found", args[len(args)-1])
	}
	f.Image = dialog.IsImage(f.ContentType)
	return f, dbErr(err, "get file")
}

// GetMessage reads one message of the workspace.
func (s *Store) GetMessage(ctx context.Context, wsID, id string) (dialog.Message, error) {
	m, err := scanMessage(s.read.QueryRowContext(ctx, `SELECT `+messageCols+` FROM `+messageFrom+` WHERE m.workspace_id = $1 AND m.id = $2`, wsID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, apperr.NotFoundf("message %s not found", id)
	}
	return m, dbErr(err, "get message")
}

// ReserveFiles counts size bytes more against the workspace's quota, or
// refuses (too_large, reason quota_exceeded) when the total would pass
// quota. A file that is then not stored gives its bytes back with
// ReleaseFiles; a crash between the two leaves the total a little high,
// never low, until a line's deletion counts it again.
func (s *Store) ReserveFiles(ctx context.Context, wsID string, size, quota int64) error {
	err := s.inTx(ctx, func(t *tx) error {
		if _, err := t.exec(qFilesRow, wsID); err != nil {
			return err
		}
		res, err := t.exec(qReserveFiles, wsID, size, quota)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = apperr.New(apperr.TooLarge, "the workspace's files would pass its quota of %d bytes", quota).With("quota_exceeded", map[string]any{"quota": quota})
			}
			return err
		}
		return nil
	})
	return dbErr(err, "reserve file space")
}

// ReleaseFiles gives back bytes ReserveFiles counted.
func (s *Store) ReleaseFiles(ctx context.Context, wsID string, size int64) error {
	return dbErr(s.inTx(ctx, func(t *tx) error {
		_, err := t.exec(qReleaseFiles, wsID, size)
		return err
	}), "release file space")
}

// FilesUsed is the workspace's total of stored files in bytes.
func (s *Store) FilesUsed(ctx context.Context, wsID string) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, s.sqlOf(qFilesUsed), wsID).Scan(&n)
	return n, dbErr(err, "files used")
}

// LineAttachments lists the ids of the files of a line's dialogs: what a
// line's deletion removes from the blob store once it is committed.
func (s *Store) LineAttachments(ctx context.Context, wsID, lineID string) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, s.sqlOf(qLineAttachments), wsID, lineID)
	if err != nil {
		return nil, dbErr(err, "list files")
	}
	ids, err := collect(rows, func(sc interface{ Scan(...any) error }) (string, error) {
		var id string
		return id, sc.Scan(&id)
	})
	return ids, dbErr(err, "list files")
}

// AddOperatorFile appends an operator's file to the dialog's open session:
// a reply (the state machine's OperatorWrote, as AddOperatorReply) whose
// text is the file's name and which carries the file.
func (s *Store) AddOperatorFile(ctx context.Context, wsID, dialogID string, wr Writer, file dialog.Attachment) (dialog.Message, error) {
	return s.addOperatorReply(ctx, wsID, dialogID, wr, file.Name, &file)
}
