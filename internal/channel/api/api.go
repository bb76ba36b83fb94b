// Package api is the connector channel kind (SPEC §11, type "api"): a
// third-party system — a site's backend, a bot, a CRM — posts its
// customers' messages to POST /api/v1/channels/{id}/messages with the
// channel's key and reads the answers from the dialog through the API.
// Each kind of channel is a package like this one: how its inbound arrives
// and the Sender that delivers its outbound from the outbox.
package api

import (
	"context"

	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/delivery"
	"github.com/openlines/openlines/internal/store"
)

// Type is the kind's channel type.
const Type = channel.TypeAPI

// Sender delivers the kind's outbound: the connector fetches the dialog,
// so a stored text is sent as soon as it is stored. (Signed webhooks to
// the connector, retried from the outbox, replace this when connectors
// register an endpoint.)
var Sender delivery.Sender = delivery.SenderFunc(func(context.Context, store.Outbound) (string, error) { return store.OutSent, nil })
