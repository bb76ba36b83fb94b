package store_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/quickanswer"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/workspace"
)

// benchWords are the words of the answers' texts: Russian and English,
// some with accents, so that the search folds what it compares; with
// benchSyllables, made-up words widen the vocabulary as a real set of
// answers has it.
var benchWords = strings.Fields(`заказ доставка оплата курьер счёт возврат товар склад
	ёлка скидка карта адрес неделя завтра сегодня спасибо здравствуйте пожалуйста
	order delivery payment courier invoice refund item warehouse discount card
	address week tomorrow today thanks hello please café naïve résumé`)

var benchSyllables = strings.Fields(`ба ве ги до жу зе ко ла ми но пу ро си та фу хе цы ча шо ще
	ка ре мо ны ту ль ва зо ри ле ta ne ro mi su ka lo pe di va`)

func benchText(r *rand.Rand, i int) string {
	w := make([]string, 12+r.IntN(12))
	for j := range w {
		if r.IntN(3) == 0 {
			w[j] = benchWords[r.IntN(len(benchWords))]
			continue
		}
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(benchSyllables[r.IntN(len(benchSyllables))])
		}
		w[j] = b.String()
	}
	if i%5000 == 0 { // ten answers of 50,000 hold the rare phrase
		w[len(w)/2] = "возврат через пункт выдачи"
	}
	return fmt.Sprintf("%s %d", strings.Join(w, " "), i) // every text its own
}

// BenchmarkQuickAnswerSearch is the inbox's search over a workspace of
// 50,000 answers (SPEC §8: ≤ 20 ms). Run with
//
//	go test -run '^$' -bench QuickAnswerSearch -benchtime 200x ./internal/store/
func BenchmarkQuickAnswerSearch(b *testing.B) {
	const n = 50000
	for _, engine := range storetest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			f := newFixture(b, engine, workspace.Enterprise)
			sec := sections(b, f.s, f.ws.ID, "ru")
			r := rand.New(rand.NewPCG(1, 2))
			texts, uses := make([]string, n), make([]int64, n)
			for i := range texts {
				texts[i], uses[i] = benchText(r, i), int64(r.IntN(1000))
			}
			for i := 0; i < n; i += 10000 {
				if err := f.s.SeedAnswers(f.ws.ID, sec["Общие"].ID, texts[i:i+10000], uses[i:i+10000]); err != nil {
					b.Fatal(err)
				}
			}
			if err := f.s.Analyze(); err != nil {
				b.Fatal(err)
			}
			for _, c := range []struct {
				name string
				f    quickanswer.Filter
			}{
				{"empty", quickanswer.Filter{AllLines: true, Limit: 20}},
				{"common", quickanswer.Filter{AllLines: true, Query: "ДОСТАВ", Limit: 20}},
				{"rare", quickanswer.Filter{AllLines: true, Query: "ПУНКТ ВЫДАЧИ", Limit: 20}},
				{"rare-long", quickanswer.Filter{AllLines: true, Query: "возврат через пункт выдачи", Limit: 20}},
				{"two-words", quickanswer.Filter{AllLines: true, Query: "ёлка скидка", Limit: 20}},
				{"short", quickanswer.Filter{AllLines: true, Query: "щё", Limit: 20}},
				{"short-none", quickanswer.Filter{AllLines: true, Query: "ъь", Limit: 20}}, // no trigram: every answer read
				{"none", quickanswer.Filter{AllLines: true, Query: "отсутствует", Limit: 20}},
				{"operator", quickanswer.Filter{Lines: []string{f.ln.ID}, Query: "cafe", Limit: 20}},
			} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						if _, err := f.s.SearchAnswers(ctx, f.ws.ID, c.f); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/search")
				})
			}
		})
	}
}
