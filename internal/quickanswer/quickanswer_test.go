package quickanswer

import (
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Доставка ЁЛКИ":   "доставка елки",
		"Café Über":       "cafe uber",
		"Йогурт и чай":    "йогурт и чай",
		"HELLO, {x}":      "hello, {x}",
		"Ça va, Zoë?":     "ca va, zoe?",
		"ǅemal Łódź":      "ǆemal łodz",
		"Straße":          "straße",
		"ПРИВЕТ, Мир":     "привет, мир",
		"Пoчтa (latin o)": "пoчтa (latin o)",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrepareTitleAndLines(t *testing.T) {
	long := strings.Repeat("абв ", 40)
	a := Answer{SectionID: "01890000-0000-7000-8000-000000000001", Text: "  " + long + "\r\n", LineIDs: []string{"01890000-0000-7000-8000-000000000003", "01890000-0000-7000-8000-000000000002", "01890000-0000-7000-8000-000000000003"}}
	if err := Prepare(&a, false); err != nil {
		t.Fatal(err)
	}
	if got := len([]rune(a.Title)); got != 99 { // 100 characters, the trailing space dropped
		t.Errorf("title has %d characters: %q", got, a.Title)
	}
	if a.Text != strings.TrimSpace(long) {
		t.Errorf("text not normalized: %q", a.Text)
	}
	if len(a.LineIDs) != 2 || a.LineIDs[0] > a.LineIDs[1] {
		t.Errorf("lines: %v", a.LineIDs)
	}
	b := Answer{SectionID: a.SectionID, Title: "  Hi \n there ", Text: "x"}
	if err := Prepare(&b, false); err != nil || b.Title != "Hi there" {
		t.Errorf("title %q, %v", b.Title, err)
	}
	if err := Prepare(&b, true); err != nil || b.Title != "x" {
		t.Errorf("auto title %q, %v", b.Title, err)
	}
}

func TestPrepareRefuses(t *testing.T) {
	sec := "01890000-0000-7000-8000-000000000001"
	for name, a := range map[string]Answer{
		"empty":        {SectionID: sec, Text: " \n "},
		"nul":          {SectionID: sec, Text: "a\x00b"},
		"invalid utf8": {SectionID: sec, Text: "a\xffb"},
		"oversized":    {SectionID: sec, Text: strings.Repeat("я", MaxText+1)},
		"long title":   {SectionID: sec, Text: "x", Title: strings.Repeat("t", MaxTitle+1)},
		"no section":   {Text: "x"},
		"bad line":     {SectionID: sec, Text: "x", LineIDs: []string{"nope"}},
	} {
		if err := Prepare(&a, false); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestKeyAndFill(t *testing.T) {
	if Key("Hello\r\nthere ") != Key(" Hello\nthere") {
		t.Error("line ends and surrounding spaces make another key")
	}
	if Key("Hello") == Key("hello") {
		t.Error("letter case makes the same key")
	}
	got := Fill("Hi {customer.name}, I am {operator.name} of {line.name}. {unknown} {customer.name}", Values{Customer: "Анна", Operator: "Bob", Line: "Sales"})
	if want := "Hi Анна, I am Bob of Sales. {unknown} Анна"; got != want {
		t.Errorf("Fill = %q, want %q", got, want)
	}
	if got := Fill("Hi {customer.name}!", Values{}); got != "Hi !" {
		t.Errorf("Fill without a name = %q", got)
	}
}

func TestDefaultSections(t *testing.T) {
	if got := DefaultSections("ru"); got[0] != "Приветствие" || len(got) != 4 {
		t.Errorf("ru: %v", got)
	}
	if got := DefaultSections("de"); got[3] != "Common" {
		t.Errorf("de: %v", got)
	}
}
