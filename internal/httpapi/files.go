package httpapi

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/attach"
	"github.com/openlines/openlines/internal/channel/widget"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/store"
)

// Files in both directions (SPEC §11, dialog.Attachment). A file is a
// message of its own: the request's body is the file's bytes (no
// multipart), its name is the "name" query parameter. The bytes go to the
// blob store first, then the workspace's quota is counted, then the
// message is written with the file's row in one transaction; a failure on
// the way deletes the bytes and gives the quota back. Operators read files
// through the API with their credentials and rights on the dialog;
// customers through a signed link (attach.Links).

func (s *Server) registerFiles() {
	s.handle("POST /api/v1/dialogs/{id}/files", member.upload(), s.uploadFile)
	s.handle("GET /api/v1/files/{id}", member, s.getFile)
	s.handle("GET /files/{id}", public, s.signedFile)
	s.handle("POST /widget/v1/files", public.upload(), s.widgetUpload)
}

// received is a file stored in the blob store and counted in the quota,
// not yet in the database; undo takes both back.
type received struct {
	file dialog.Attachment
	undo func()
}

// receiveFile stores the request's body as a file of the workspace.
func (s *Server) receiveFile(r *http.Request, wsID string) (received, error) {
	if s.cfg.Files == nil {
		return received{}, apperr.NotFoundf("this server keeps no files")
	}
	name := dialog.FileName(r.URL.Query().Get("name"))
	id := store.NewID()
	info, err := attach.Receive(r.Context(), s.cfg.Files, id, r.Body, s.cfg.MaxFile)
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, attach.ErrTooLarge) || errors.As(err, &tooBig):
		return received{}, apperr.New(apperr.TooLarge, "the file is larger than %d bytes", s.cfg.MaxFile).With("file_too_large", map[string]any{"max": s.cfg.MaxFile})
	case errors.Is(err, attach.ErrEmpty):
		return received{}, apperr.FieldError("body", "is empty: the request's body is the file's bytes")
	case errors.Is(err, attach.ErrCutShort):
		return received{}, apperr.FieldError("body", "was cut short before its end; nothing was stored: send the file again")
	case err != nil:
		return received{}, apperr.Wrap(err, "store the file")
	}
	ctx := context.WithoutCancel(r.Context())
	if err := s.store.ReserveFiles(ctx, wsID, info.Size, s.cfg.FilesQuota); err != nil {
		s.cfg.Files.Delete(ctx, id)
		return received{}, err
	}
	return received{
		file: dialog.Attachment{ID: id, Name: name, ContentType: info.ContentType, Size: info.Size, Image: dialog.IsImage(info.ContentType), SHA256: info.SHA256},
		undo: func() {
			if err := s.store.ReleaseFiles(ctx, wsID, info.Size); err != nil {
				logger(r).Warn("files: give back the quota", "error", err)
			}
			s.cfg.Files.Delete(ctx, id)
		},
	}, nil
}

// uploadFile: an operator sends a file into the dialog (a reply, with the
// rights and effects of one).
func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request, p principal) error {
	f, err := s.seeDialog(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	rc, err := s.receiveFile(r, p.ws())
	if err != nil {
		return err
	}
	m, err := s.store.AddOperatorFile(r.Context(), p.ws(), r.PathValue("id"), store.Writer{UserID: p.User.ID, MayIntercept: p.Rights.Covers(access.DialogsIntercept, f)}, rc.file)
	if err != nil {
		rc.undo()
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// getFile: an operator who sees the file's dialog reads the file.
func (s *Server) getFile(w http.ResponseWriter, r *http.Request, p principal) error {
	f, err := s.store.GetAttachment(r.Context(), p.ws(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if _, err := s.seeDialog(r.Context(), p, f.DialogID); err != nil {
		return err
	}
	return s.serveFile(w, r, f.Attachment, false)
}

// signedFile: anyone with a link the server signed reads the file (the
// customer's widget; a link for an e-mail later).
func (s *Server) signedFile(w http.ResponseWriter, r *http.Request, _ principal) error {
	q := r.URL.Query()
	id := r.PathValue("id")
	if s.cfg.Files == nil || !s.links.Valid(id, q.Get("exp"), q.Get("sig"), s.store.Now()) {
		// As for any record one may not see: not found, whether it exists or not.
		return apperr.NotFoundf("no such file, or the link to it is not valid or has expired; open the conversation again for a new link")
	}
	f, err := s.store.AttachmentByID(r.Context(), id)
	if err != nil {
		return err
	}
	return s.serveFile(w, r, f.Attachment, true)
}

// serveFile writes a file with its sniffed type. Pictures are shown
// inline, everything else is a download; nothing is ever run (nosniff, a
// sandboxing CSP), whatever the bytes are.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, f dialog.Attachment, public bool) error {
	rd, err := s.cfg.Files.Open(r.Context(), f.ID)
	if errors.Is(err, attach.ErrNotFound) {
		return apperr.NotFoundf("the file %s is no longer stored", f.ID)
	}
	if err != nil {
		return apperr.Wrap(err, "open the file")
	}
	defer rd.Close()
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	disposition := "attachment"
	if f.Image {
		disposition = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("ETag", strconv.Quote(f.SHA256))
	h.Set("Cache-Control", "private, max-age=86400, immutable") // a file's bytes never change under its id
	if public {
		h.Set("Cross-Origin-Resource-Policy", "cross-origin") // shown in the widget on the customer's site
		h.Set("Referrer-Policy", "no-referrer")
	}
	http.ServeContent(w, r, "", time.Time{}, rd)
	return nil
}

// widgetUpload: a visitor sends a file (a customer's message, with the
// limits of one); client_id makes a repeat the same message.
func (s *Server) widgetUpload(w http.ResponseWriter, r *http.Request, _ principal) error {
	v, t, err := s.widgetVisitor(w, r)
	if err != nil {
		return err
	}
	if !t.active {
		return apperr.New(apperr.Conflict, "the widget's channel or its line is not active; the file was not accepted")
	}
	clientID := r.URL.Query().Get("client") // a message's client_id (a *_id parameter would be checked as a record's id)
	if !validClientID(clientID) {
		return apperr.FieldError("client", "is required: an id of at most 64 letters, digits, '-' or '_' that the widget chose")
	}
	if err := limit(w, s.widget.messagesPerVis, v.ID, "messages"); err != nil {
		return err
	}
	if err := limit(w, s.widget.messagesPerIP, s.clientIP(r), "messages from this address"); err != nil {
		return err
	}
	rc, err := s.receiveFile(r, v.WorkspaceID)
	if err != nil {
		return err
	}
	in := dialog.Inbound{WorkspaceID: v.WorkspaceID, ChannelID: v.ChannelID, LineID: t.ch.LineID,
		Customer:   dialog.Customer{ExternalID: v.Customer},
		ExternalID: widget.ExternalID(v.ID, clientID), Text: rc.file.Name, File: &rc.file}
	res, err := s.store.Ingest(r.Context(), in)
	if err != nil || res.Duplicate {
		rc.undo() // refused, or sent before: the first copy is the one kept
	}
	if err != nil {
		return err
	}
	m, err := s.store.GetMessage(r.Context(), v.WorkspaceID, res.MessageID)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"message": widget.View(m, widget.LineView{}, nil, s.fileLink)})
	return nil
}

// fileLink is the signed link to a file for the widget (a path on this
// server; the widget puts its server's origin before it).
func (s *Server) fileLink(id string) string {
	return "/files/" + id + "?" + s.links.Query(id, s.store.Now())
}
