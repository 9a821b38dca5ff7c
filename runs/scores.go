package runs

// ClassScores are one class's precision, recall, F1 and support.
type ClassScores struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Scores returns each class's scores from a confusion matrix m[true][pred],
// zero where undefined (zero_division = 0, as scikit-learn's
// classification_report). The dashboard, the metrics log and the HTML
// report all score classes here.
func Scores(m [][]int) []ClassScores {
	out := make([]ClassScores, len(m))
	for k := range m {
		tp := m[k][k]
		var pred, sup int
		for i := range m {
			pred += m[i][k]
			sup += m[k][i]
		}
		s := ClassScores{Support: sup}
		if pred > 0 {
			s.Precision = float64(tp) / float64(pred)
		}
		if sup > 0 {
			s.Recall = float64(tp) / float64(sup)
		}
		if s.Precision+s.Recall > 0 {
			s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
		}
		out[k] = s
	}
	return out
}
