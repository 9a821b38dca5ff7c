package main

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/maskdash/maskdash/runs"
)

// TestTableFit: the columns give way in their order, each cut (with "…")
// to its least width before it is dropped and before the next is touched;
// a column not in give keeps its cells whole; a short row (an unreadable
// run's) is left as it is; width 0 changes nothing.
func TestTableFit(t *testing.T) {
	mk := func() table {
		return table{
			head: []string{"ID", "A", "B", "C"},
			rows: [][]string{{"run-1", strings.Repeat("a", 30), strings.Repeat("b", 30), "c"}, {"broken", "unreadable"}},
			give: []give{{"A", 10, true}, {"B", 10, false}},
		}
	}
	for _, c := range []struct {
		width        int
		head         string
		cut, dropped string
	}{
		{0, "ID A B C", "", ""},
		{200, "ID A B C", "", ""},
		{60, "ID A B C", "A", ""}, // A cut to 19: 5+19+30+1+6
		{40, "ID B C", "", "A"},   // A at 10 is still 5+10+30+1+6 = 52: it goes, then B need not be cut
		{30, "ID B C", "B", "A"},  // B cut to its 10, whatever the width
		{10, "ID B C", "B", "A"},
	} {
		tb := mk()
		cut, dropped := tb.fit(c.width)
		if got := strings.Join(tb.head, " "); got != c.head || strings.Join(cut, ",") != c.cut || strings.Join(dropped, ",") != c.dropped {
			t.Errorf("width %d: head %q, cut %v, dropped %v; want %q, %q, %q", c.width, got, cut, dropped, c.head, c.cut, c.dropped)
		}
		if tb.rows[0][0] != "run-1" || strings.Join(tb.rows[1], " ") != "broken unreadable" {
			t.Errorf("width %d: rows %q", c.width, tb.rows)
		}
		var b strings.Builder
		tb.print(&b)
		for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n")[:2] {
			if w := ansi.StringWidth(strings.TrimRight(l, " ")); c.width >= 40 && w > c.width {
				t.Errorf("width %d: a line of %d: %q", c.width, w, l)
			}
		}
	}
}

// TestSubmissionsFitTheTerminal: the submissions table, whose runs and
// weights ran it past 150 columns, fits 100, cutting them, and says so.
func TestSubmissionsFitTheTerminal(t *testing.T) {
	f1 := 0.4399
	all := []runs.Submission{{File: "/tmp/sub-vote.csv", Time: time.Now(), ValF1: &f1, Ckpt: "epoch 12, step 5640",
		Runs: []string{"20261207-104952-vgg-s-mh-0.5focal+0.5smooth-mh1", "20261207-105000-vgg-s-mh-la"}, TTA: true, Offsets: true}}
	var b strings.Builder
	printSubmissions(&b, "runs", all, 100)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) < 4 || !strings.Contains(lines[2], "sub-vote.csv") || !strings.Contains(lines[2], "0.4399") || lines[3] != "fitted to 100 columns (--wide shows all): cut weights, from" {
		t.Fatalf("%s", b.String())
	}
	for _, l := range lines[1:4] {
		if ansi.StringWidth(l) > 100 {
			t.Errorf("a line of %d columns: %q", ansi.StringWidth(l), l)
		}
	}
	b.Reset()
	printSubmissions(&b, "runs", all, 0)
	if !strings.Contains(b.String(), "vote of 2: 20261207-104952-vgg-s-mh-0.5focal+0.5smooth-mh1 + 1 more") || strings.Contains(b.String(), "fitted") {
		t.Errorf("piped:\n%s", b.String())
	}
}
