// Package routing distributes sessions to operators (SPEC §5). This file is
// the pure decision: given a line's rules and its operators' state, who is
// offered a session. It touches no database and no clock, so the store, the
// simulator and the benchmarks all run the very same rules.
package routing

import (
	"time"

	"github.com/openlines/openlines/internal/clock"
	"github.com/openlines/openlines/internal/line"
)

// HardCap is the most open sessions an operator may have across all lines
// (held plus offered to them alone), in every mode.
const HardCap = 1000

// OnlineWindow is how recent a heartbeat must be for an operator to count
// as online.
const OnlineWindow = 60 * time.Second

// Online reports whether an operator whose presence is status, last seen
// at lastSeen, is online at now (microseconds): status online and a
// heartbeat within OnlineWindow.
func Online(status string, lastSeen, now clock.Micros) bool {
	return status == "online" && lastSeen > now-clock.Duration(OnlineWindow)
}

// Rules are the distribution settings of a line.
type Rules struct {
	Mode           string // line.ModeEvenly, line.ModeStrictly, line.ModeAll
	CheckAvailable bool
	LimitEnabled   bool
	Limit          int
}

// RulesOf extracts the distribution rules from a line's settings.
func RulesOf(s line.Settings) Rules {
	return Rules{Mode: s.Mode, CheckAvailable: s.CheckAvailable, LimitEnabled: s.LimitEnabled, Limit: s.Limit}
}

// Operator is a queue member as the decision sees it, in queue order.
type Operator struct {
	ID        string
	Active    bool // an active user
	Available bool // online (live connection or fresh heartbeat, not away/dnd) and not absent
	// OpenTotal counts open sessions across all lines: held plus offered to
	// this operator alone.
	OpenTotal int
	// Counted counts this line's open sessions of the operator that its limit
	// counts: open ones minus the kind named by limit_excludes.
	Counted int
	// LastOfferedAt is when this line last offered the operator a session
	// (any monotonic unit); 0 means never.
	LastOfferedAt int64
}

// Eligible reports whether op may be offered a session under r (SPEC §5).
func (r Rules) Eligible(op *Operator) bool {
	if !op.Active {
		return false
	}
	if r.CheckAvailable && !op.Available {
		return false
	}
	if op.OpenTotal >= HardCap {
		return false
	}
	return r.WithinLimit(op.Counted)
}

// WithinLimit reports whether an operator with counted sessions on the
// line may get one more under its limit (the all mode has none).
func (r Rules) WithinLimit(counted int) bool {
	return !(r.LimitEnabled && r.Mode != line.ModeAll && counted >= r.Limit)
}

// Choose returns the index of the operator to offer a session to in the
// evenly and strictly modes, or -1 when nobody is eligible. tried reports
// operators already tried for this session in the current round (strictly);
// wrapped is true when every eligible operator had been tried and the round
// started again from the top, so the caller clears its tried set.
//
// evenly: the eligible operator offered a dialog least recently (never
// offered first, then queue order). strictly: the first eligible operator in
// queue order not yet tried.
func (r Rules) Choose(ops []Operator, tried func(i int) bool) (pick int, wrapped bool) {
	switch r.Mode {
	case line.ModeStrictly:
		first := -1
		for i := range ops {
			if !r.Eligible(&ops[i]) {
				continue
			}
			if first < 0 {
				first = i
			}
			if tried == nil || !tried(i) {
				return i, false
			}
		}
		return first, first >= 0
	default: // evenly
		pick = -1
		for i := range ops {
			if !r.Eligible(&ops[i]) {
				continue
			}
			if pick < 0 || ops[i].LastOfferedAt < ops[pick].LastOfferedAt {
				pick = i
			}
		}
		return pick, false
	}
}

// ChooseAll returns the indexes of every eligible operator, for the all mode.
func (r Rules) ChooseAll(ops []Operator) []int {
	var out []int
	for i := range ops {
		if r.Eligible(&ops[i]) {
			out = append(out, i)
		}
	}
	return out
}
