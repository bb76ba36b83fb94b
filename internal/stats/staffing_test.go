package stats

import (
	"context"
	"math"
	"testing"
)

func TestServiceLevelMM1(t *testing.T) {
	// M/M/1 with ρ = 0.5: C = ρ, SL(t) = 1 − ρ·e^(−(μ−λ)t), W = ρ/(μ−λ).
	sl, w := ServiceLevel(0.5, 1, 1, 1)
	if math.Abs(sl-(1-0.5*math.Exp(-0.5))) > 1e-12 || math.Abs(w-1) > 1e-12 {
		t.Fatalf("SL %v, W %v", sl, w)
	}
	if sl, _ := ServiceLevel(2, 1, 1, 20); sl != 0 {
		t.Fatalf("an unstable hour has service level %v", sl)
	}
}

func TestPlanIsTheSmallestThatMeetsTheTarget(t *testing.T) {
	in := StaffingInput{HandleSeconds: 180, Concurrency: 1, TargetWait: 20, ServiceLevel: 0.8}
	in.Arrivals[0][9] = 200 // Monday 09:00: 200 an hour, 10 Erlangs
	in.Arrivals[2][14] = 3
	cells := Plan(in)
	if len(cells) != 168 {
		t.Fatalf("%d cells", len(cells))
	}
	for _, c := range cells {
		if c.Arrivals == 0 {
			if c.Operators != 0 {
				t.Fatalf("an hour with no arrivals needs %d", c.Operators)
			}
			continue
		}
		lambda, mu := c.Arrivals/3600, 1/in.HandleSeconds
		if sl, _ := ServiceLevel(lambda, mu, c.Operators, in.TargetWait); sl < in.ServiceLevel || math.Abs(sl-c.ServiceLevel) > 1e-12 {
			t.Fatalf("%+v does not meet the target (%v)", c, sl)
		}
		if sl, _ := ServiceLevel(lambda, mu, c.Operators-1, in.TargetWait); c.Operators > 1 && sl >= in.ServiceLevel {
			t.Fatalf("%+v: one fewer would do (%v)", c, sl)
		}
	}
	if c := cells[9]; c.Operators < 11 || c.Operators > 16 {
		t.Fatalf("10 Erlangs at 80/20 need %d operators", c.Operators)
	}
	// Two sessions at once halve the operators (rounded up).
	in.Concurrency = 2
	if c := Plan(in)[9]; c.Operators != (cells[9].Operators+1)/2 {
		t.Fatalf("concurrency 2: %d of %d", c.Operators, cells[9].Operators)
	}
}

func TestCrossCheckAgreesWithErlangC(t *testing.T) {
	in := StaffingInput{HandleSeconds: 180, Concurrency: 1, TargetWait: 20, ServiceLevel: 0.8}
	in.Arrivals[0][9] = 200
	cells := Plan(in)
	ch, err := CrossCheck(context.Background(), in, cells, 50000)
	if err != nil || ch == nil {
		t.Fatal(ch, err)
	}
	if ch.Weekday != 0 || ch.Hour != 9 || math.Abs(ch.SimulatedPWait-ch.ErlangPWait) > 0.05 {
		t.Fatalf("simulated %+v", ch)
	}
	if ch, _ := CrossCheck(context.Background(), in, Plan(StaffingInput{HandleSeconds: 1, TargetWait: 1, ServiceLevel: .5}), 100); ch != nil {
		t.Fatal("a plan with no arrivals has nothing to check")
	}
}
