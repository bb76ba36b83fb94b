package routing

import (
	"fmt"
	"testing"

	"github.com/openlines/openlines/internal/line"
)

func ops(n int) []Operator {
	out := make([]Operator, n)
	for i := range out {
		out[i] = Operator{ID: fmt.Sprint("op", i), Active: true, Available: true}
	}
	return out
}

func TestEligible(t *testing.T) {
	r := Rules{Mode: line.ModeEvenly, CheckAvailable: true, LimitEnabled: true, Limit: 2}
	cases := []struct {
		name string
		op   Operator
		mode string
		want bool
	}{
		{"ok", Operator{Active: true, Available: true, Counted: 1}, line.ModeEvenly, true},
		{"inactive", Operator{Active: false, Available: true}, line.ModeEvenly, false},
		{"unavailable", Operator{Active: true}, line.ModeEvenly, false},
		{"at the limit", Operator{Active: true, Available: true, Counted: 2}, line.ModeStrictly, false},
		{"limit ignored in all mode", Operator{Active: true, Available: true, Counted: 2}, line.ModeAll, true},
		{"hard cap", Operator{Active: true, Available: true, OpenTotal: HardCap}, line.ModeAll, false},
		{"below the hard cap", Operator{Active: true, Available: true, OpenTotal: HardCap - 1}, line.ModeAll, true},
	}
	for _, c := range cases {
		r.Mode = c.mode
		if got := r.Eligible(&c.op); got != c.want {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
	r = Rules{Mode: line.ModeEvenly}
	if !r.Eligible(&Operator{Active: true, Counted: 5000}) {
		t.Error("without check_available and limit, an offline busy operator is still eligible")
	}
}

func TestChoose(t *testing.T) {
	evenly := Rules{Mode: line.ModeEvenly}
	o := ops(4)
	o[0].LastOfferedAt, o[1].LastOfferedAt, o[2].LastOfferedAt, o[3].LastOfferedAt = 30, 10, 0, 20
	if p, _ := evenly.Choose(o, nil); p != 2 {
		t.Fatalf("evenly: never offered first, got %d", p)
	}
	o[2].LastOfferedAt = 40
	if p, _ := evenly.Choose(o, nil); p != 1 {
		t.Fatalf("evenly: least recent, got %d", p)
	}
	o[1].Active = false
	if p, _ := evenly.Choose(o, nil); p != 3 {
		t.Fatalf("evenly: skips ineligible, got %d", p)
	}
	strictly := Rules{Mode: line.ModeStrictly}
	tried := map[int]bool{}
	var seq []int
	for range 5 {
		p, wrapped := strictly.Choose(o, func(i int) bool { return tried[i] })
		if wrapped {
			clear(tried)
		}
		tried[p] = true
		seq = append(seq, p)
	}
	if fmt.Sprint(seq) != "[0 2 3 0 2]" {
		t.Fatalf("strictly visits %v", seq)
	}
	none := ops(2)
	none[0].Active, none[1].Active = false, false
	if p, _ := strictly.Choose(none, nil); p != -1 {
		t.Fatal("strictly chose an ineligible operator")
	}
	if p, _ := evenly.Choose(none, nil); p != -1 {
		t.Fatal("evenly chose an ineligible operator")
	}
	all := Rules{Mode: line.ModeAll}
	if got := all.ChooseAll(o); fmt.Sprint(got) != "[0 2 3]" {
		t.Fatalf("all: %v", got)
	}
}

// BenchmarkDecision1000 is the pure decision for a line of 1,000 operators
// (target ≤ 20 µs): go test -run '^$' -bench Decision ./internal/routing/
func BenchmarkDecision1000(b *testing.B) {
	for _, mode := range []string{line.ModeEvenly, line.ModeStrictly, line.ModeAll} {
		b.Run(mode, func(b *testing.B) {
			r := Rules{Mode: mode, CheckAvailable: true, LimitEnabled: true, Limit: 3}
			o := ops(1000)
			for i := range o {
				o[i].LastOfferedAt = int64((i * 7919) % 1000)
				o[i].Counted = i % 4 // a quarter are at the limit
				o[i].Available = i%10 != 0
			}
			tried := make([]bool, len(o))
			for i := range 500 {
				tried[i] = true
			}
			b.ReportAllocs()
			for b.Loop() {
				if mode == line.ModeAll {
					r.ChooseAll(o)
				} else {
					r.Choose(o, func(i int) bool { return tried[i] })
				}
			}
		})
	}
}
