package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRunsTree: maskdash runs --tree lists each child run under its
// parent (a grandchild under its child), with what it changed from its
// parent where the PARENT column would name it, an unrelated run as a
// root of its own; --json gives each run's depth and changes.
func TestRunsTree(t *testing.T) {
	data, rd := tinySet(t), t.TempDir()
	for _, args := range [][]string{
		{"--data", data, "--img", "16x16", "--batch", "8", "--name", "parent"},
		{"--data", data, "--img", "16x16", "--batch", "8", "--name", "other"},
		{"--from", "parent", "--task", "age", "--name", "kid"},
		{"--from", "kid", "--fresh-head", "--freeze-epochs", "1", "--sampler", "weighted", "--name", "grandkid"},
	} {
		if out, err := run(t, append([]string{"train", "--headless", "--runs", rd, "--epochs", "1"}, args...)...); err != nil {
			t.Fatalf("train %q: %v\n%s", args, err, out)
		}
	}
	out, err := run(t, "runs", "--tree", "--runs", rd)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(out, "\n")
	at := func(suffix string) int {
		for i, l := range lines {
			if f := strings.Fields(strings.TrimLeft(l, " └")); len(f) > 0 && strings.HasSuffix(f[0], suffix) {
				return i
			}
		}
		t.Fatalf("no row for %s:\n%s", suffix, out)
		return -1
	}
	p, k, g, o := at("-parent"), at("-age-kid"), at("-age-grandkid"), at("-other")
	if k != p+1 || g != k+1 {
		t.Errorf("rows: parent %d, kid %d, grandkid %d; want each under the one before:\n%s", p, k, g, out)
	}
	for _, c := range []struct {
		row    int
		prefix string
		want   []string
	}{
		{k, "└ ", []string{"task=age"}},
		{g, "  └ ", []string{"fresh-head=true", "freeze-epochs=1", "sampler=weighted"}},
		{o, "20", nil},
	} {
		l := lines[c.row]
		if !strings.HasPrefix(l, c.prefix) {
			t.Errorf("row %q does not start with %q", l, c.prefix)
		}
		for _, w := range c.want {
			if !strings.Contains(l, w) {
				t.Errorf("row %q does not say %s", l, w)
			}
		}
	}
	if strings.Contains(lines[g], "task=") {
		t.Errorf("the grandchild's changes name the task it kept: %q", lines[g])
	}
	if !strings.Contains(lines[0], "FROM PARENT") {
		t.Errorf("header %q", lines[0])
	}
	// Filtered out, the parent leaves its child a root that names it;
	// the grandchild stays under the child.
	out, err = run(t, "runs", "--tree", "--runs", rd, "--filter", "kid")
	if kids := strings.Split(out, "\n"); err != nil || len(kids) < 3 || !strings.Contains(kids[1], "-age-kid") || !strings.Contains(kids[1], "child of ") ||
		!strings.HasPrefix(kids[2], "└ ") || !strings.Contains(kids[2], "-age-grandkid") {
		t.Errorf("the tree of the kids alone: %v\n%s", err, out)
	}
	js, err := run(t, "runs", "--tree", "--json", "--runs", rd)
	if err != nil {
		t.Fatal(err)
	}
	var rows []runRow
	if err := json.Unmarshal([]byte(js), &rows); err != nil {
		t.Fatal(err)
	}
	depth := map[string]int{}
	for _, r := range rows {
		if r.Depth == nil {
			t.Fatalf("%s has no depth", r.ID)
		}
		depth[r.ID[strings.LastIndex(r.ID, "-")+1:]] = *r.Depth
	}
	if depth["parent"] != 0 || depth["other"] != 0 || depth["kid"] != 1 || depth["grandkid"] != 2 {
		t.Errorf("depths %v", depth)
	}
}
