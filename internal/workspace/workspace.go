// Package workspace holds the tenant of OpenLines and its plan (SPEC §1–2).
package workspace

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/input"
)

// ValidateName returns a workspace name trimmed, or an error: 1 to 200
// characters of text (input.Text).
func ValidateName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return "", apperr.FieldError("name", "is required, at most 200 characters")
	}
	if err := input.Text("name", name); err != nil {
		return "", err
	}
	return name, nil
}

// Plan is a workspace's subscription level. It bounds the number of active lines.
type Plan string

const (
	Free         Plan = "free"
	Basic        Plan = "basic"
	Standard     Plan = "standard"
	Professional Plan = "professional"
	Enterprise   Plan = "enterprise"
)

// Plans lists every plan, cheapest first.
var Plans = []Plan{Free, Basic, Standard, Professional, Enterprise}

// Unlimited is the line limit of plans without one.
const Unlimited = -1

// LineLimit returns how many active lines the plan allows, or Unlimited.
func (p Plan) LineLimit() int {
	switch p {
	case Free:
		return 1
	case Basic:
		return 2
	case Standard:
		return 10
	default:
		return Unlimited
	}
}

// LimitText describes the plan's limit for messages: "1", "unlimited".
func (p Plan) LimitText() string {
	if n := p.LineLimit(); n != Unlimited {
		return fmt.Sprint(n)
	}
	return "unlimited"
}

// ParsePlan validates a plan name.
func ParsePlan(s string) (Plan, error) {
	for _, p := range Plans {
		if string(p) == s {
			return p, nil
		}
	}
	return "", apperr.FieldError("plan", "unknown plan %q (one of free, basic, standard, professional, enterprise)", s)
}

// Workspace is one company using OpenLines.
type Workspace struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Plan      Plan      `json:"plan"`
	CreatedAt time.Time `json:"created_at"`
	// Timezone (IANA) is the zone whose days the statistics count in.
	Timezone string `json:"timezone"`
}

// PlanLimitError is the error for a line beyond the plan's limit.
func PlanLimitError(p Plan) error {
	return apperr.New(apperr.PlanLimit, "the %s plan allows %s active line(s); upgrade the plan or deactivate a line", p, p.LimitText())
}
