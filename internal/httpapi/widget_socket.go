package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/coder/websocket"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/channel/widget"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/realtime"
	"github.com/openlines/openlines/internal/user"
)

// widgetSocket is the visitor's WebSocket (docs/WIDGET.md): the token comes
// in the first frame, not the URL (URLs end up in logs), and the Origin is
// checked against the channel once the token names it.
func (s *Server) widgetSocket(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Visitors == nil || s.draining.Load() {
		writeError(w, r, apperr.New(apperr.Unavailable, "real time is not available"))
		return
	}
	origin := r.Header.Get("Origin")
	s.cfg.Visitors.Serve(w, r, func(ctx context.Context, h realtime.Hello) (*realtime.Visitor, websocket.StatusCode, string) {
		if !strings.HasPrefix(h.Token, VisitorTokenPrefix) {
			return nil, realtime.CloseVisitorUnknown, "unknown visitor"
		}
		v, err := s.store.VisitorByToken(ctx, user.HashSecret(h.Token))
		if apperr.Is(err, apperr.Unauthorized) {
			return nil, realtime.CloseVisitorUnknown, "unknown visitor"
		}
		if err != nil {
			return nil, websocket.StatusTryAgainLater, "try again"
		}
		ch, _, err := s.store.InboundTarget(ctx, "", v.ChannelID)
		if err != nil || ch.Type != channel.TypeWidget {
			return nil, realtime.CloseVisitorUnknown, "the widget's channel is gone"
		}
		st, err := widget.Parse(ch.Settings)
		if err != nil || !st.Allows(origin) {
			return nil, realtime.CloseOriginRefused, "this site may not use the widget"
		}
		l, err := s.store.GetLine(ctx, ch.WorkspaceID, ch.LineID)
		if err != nil {
			return nil, websocket.StatusTryAgainLater, "try again"
		}
		dialogID, err := s.visitorDialog(ctx, v)
		if err != nil {
			return nil, websocket.StatusTryAgainLater, "try again"
		}
		ls := widget.LineViewOf(l.Settings)
		var mu sync.Mutex
		names := map[string]string{}
		return &realtime.Visitor{
			Customer: v.ChannelID + "/" + v.Customer, DialogID: dialogID,
			Replay: func(ctx context.Context, dialogID, after string) ([][]byte, error) {
				var frames [][]byte
				for {
					ms, err := s.visitorMessages(ctx, v.WorkspaceID, dialogID, after, 200, ls)
					if apperr.Is(err, apperr.Invalid) && after != "" {
						after, err = "", nil // an id the dialog does not have: send it all
						continue
					}
					if err != nil {
						return nil, err
					}
					for _, m := range ms {
						frames = append(frames, visitorFrame("message", "message", m))
					}
					if len(ms) < 200 {
						return frames, nil
					}
					after = ms[len(ms)-1].ID
				}
			},
			Frame: func(ctx context.Context, ev events.Event) []byte {
				switch ev.Type {
				case events.MessageCreated:
					m, ok := ev.Data.(*dialog.Message)
					if !ok {
						return nil
					}
					mu.Lock()
					defer mu.Unlock()
					if view := widget.View(*m, ls, func(id string) string { return s.operatorName(ctx, v.WorkspaceID, id, names) }, s.fileLink); view != nil {
						return visitorFrame("message", "message", view)
					}
				case events.Typing:
					if ev.Reason != "customer" {
						return []byte(`{"type":"typing"}`)
					}
				case events.SessionOpened, events.SessionTaken, events.SessionRequeued, events.SessionChanged:
					if sess, err := s.visitorSession(ctx, v.WorkspaceID, ev.DialogID, ls); err == nil {
						return visitorFrame("session", "session", sess)
					}
				}
				return nil
			},
			Said: func(ctx context.Context, dialogID string, f realtime.VisitorFrame) {
				switch f.Type {
				case "typing":
					if ok, _ := s.widget.typingPerVisitor.allow(v.ID); ok {
						s.publishCustomerTyping(ctx, v.WorkspaceID, dialogID)
					}
				case "seen":
					if f.MessageID != "" && len(f.MessageID) <= 64 {
						s.store.MarkSeen(ctx, v.WorkspaceID, dialogID, f.MessageID, f.Read)
					}
				}
			},
		}, 0, ""
	})
}

// visitorFrame is {"type": typ, key: v}.
func visitorFrame(typ, key string, v any) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, key: v})
	return b
}
