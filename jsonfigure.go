package main

import "math"

// finite is v for JSON: nil (null) where v is NaN or infinite, figures
// JSON cannot hold (a ratio one measure cannot give, a rank correlation
// of too few submissions).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
