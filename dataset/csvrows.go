package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// csvRows reads cr's records to the end, calling row with each and where
// it starts ("name:line"); a row that returns an error is a skip that
// says it. A malformed record is a skip and reading goes on; a stream
// that cannot be read is a skip that ends it. The readers of train.csv,
// info.csv, label corrections and pseudo-labels share it.
func csvRows(cr *csv.Reader, name string, row func(where string, rec []string) error) []Skip {
	var skips []Skip
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return skips
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				skips = append(skips, Skip{SkipRow, fmt.Sprintf("%s:%d", name, pe.Line), "malformed CSV: " + pe.Err.Error()})
				continue
			}
			return append(skips, Skip{SkipRow, name, "unreadable: " + err.Error()})
		}
		line, _ := cr.FieldPos(0)
		where := fmt.Sprintf("%s:%d", name, line)
		if err := row(where, rec); err != nil {
			skips = append(skips, Skip{SkipRow, where, err.Error()})
		}
	}
}
