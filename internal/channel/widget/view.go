package widget

import (
	"strings"
	"time"

	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
)

// Message is a message as the visitor sees it: never a note or a timeline
// event, never a user id (docs/WIDGET.md).
type Message struct {
	ID        string    `json:"id"`
	Direction string    `json:"direction"`
	Kind      string    `json:"kind"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
	ClientID  *string   `json:"client_id"`
	Author    *Author   `json:"author"`
	Delivery  *string   `json:"delivery"`
	File      *File     `json:"file,omitempty"`
}

// File is a message's file as the visitor sees it: URL is a signed link
// that lasts a day at least (attach.Links), made when the message is shown.
type File struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Image       bool   `json:"image"`
	URL         string `json:"url"`
}

// Author is who wrote an operator's message, as the line shows them.
type Author struct {
	Name   string  `json:"name"`
	Avatar *string `json:"avatar"`
}

// Config is a widget's public configuration (GET /widget/v1/channels/{id}).
type Config struct {
	ChannelID        string  `json:"channel_id"`
	Color            string  `json:"color"`
	Greeting         string  `json:"greeting"`
	Prechat          Prechat `json:"prechat"`
	IdentityRequired bool    `json:"identity_required"`
	OffHours         bool    `json:"off_hours"`
	OffHoursText     string  `json:"off_hours_text"`
	Rating           struct {
		Enabled bool   `json:"enabled"`
		Scale   string `json:"scale"`
	} `json:"rating"`
	Operator struct {
		Mode string `json:"mode"`
	} `json:"operator"`
}

// PublicConfig is what any site's visitor may read of a widget channel
// and its line at time now.
func PublicConfig(channelID string, s Settings, ls line.Settings, now time.Time) Config {
	c := Config{ChannelID: channelID, Color: s.Color, Greeting: s.Greeting, Prechat: s.Prechat, IdentityRequired: s.IdentityRequired}
	if !ls.WorkingHours.IsOpen(now) {
		c.OffHours, c.OffHoursText = true, ls.WorkingHours.OffHoursText
	}
	c.Rating.Enabled, c.Rating.Scale = ls.RatingEnabled, ls.RatingScale
	c.Operator.Mode = ls.OperatorData
	return c
}

// ClientID is the part of a widget message's external id the widget chose:
// external ids are the visitor's id, "/", the widget's client id, so that
// two visitors' ids never meet on the channel.
func ExternalID(visitorID, clientID string) string { return visitorID + "/" + clientID }

// LineView is what a visitor's view of messages needs of the line's
// settings: how operators are shown, and the rating scale. A visitor's
// socket keeps this, not the whole settings (memory per idle socket).
type LineView struct {
	OperatorData, OperatorName, OperatorAvatar, RatingScale string
}

// LineViewOf takes the LineView of a line's settings.
func LineViewOf(ls line.Settings) LineView {
	return LineView{OperatorData: ls.OperatorData, OperatorName: ls.OperatorDataName, OperatorAvatar: ls.OperatorDataAvatar, RatingScale: ls.RatingScale}
}

// View turns a message of the dialog into the visitor's view; nil for what
// the visitor never sees. name tells an operator's name by user id (for
// the profile mode of operator_data); link makes a file's signed link.
func View(m dialog.Message, ls LineView, name func(userID string) string, link func(fileID string) string) *Message {
	switch {
	case m.Direction == dialog.In && m.Kind == dialog.KindText:
	case m.Direction == dialog.Out && (m.Kind == dialog.KindText || m.Kind == dialog.KindAuto || m.Kind == dialog.KindRatingRequest):
	default:
		return nil
	}
	v := &Message{ID: m.ID, Direction: m.Direction, Kind: m.Kind, Text: m.Text, CreatedAt: m.CreatedAt}
	if m.Direction == dialog.In && m.ExternalID != nil {
		if _, client, ok := strings.Cut(*m.ExternalID, "/"); ok {
			v.ClientID = &client
		}
	}
	if m.Direction == dialog.Out && m.Kind == dialog.KindText && m.AuthorID != nil {
		if ls.OperatorData == line.OperatorDataHidden {
			v.Author = &Author{Name: ls.OperatorName}
			if ls.OperatorAvatar != "" {
				a := ls.OperatorAvatar
				v.Author.Avatar = &a
			}
		} else {
			v.Author = &Author{Name: name(*m.AuthorID)}
		}
	}
	if m.Delivery != nil {
		st := m.Delivery.State
		v.Delivery = &st
	}
	if f := m.Attachment; f != nil && link != nil {
		v.File = &File{Name: f.Name, ContentType: f.ContentType, Size: f.Size, Image: f.Image, URL: link(f.ID)}
	}
	return v
}
