package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ReadFolder reads a torchvision ImageFolder tree: root/<class>/<image>.
// Classes are the sorted sub-folder names; files that are not images are
// skipped with a Skip each.
func ReadFolder(root string) (*Set, error) {
	classes, err := sortedDirs(root)
	if err != nil {
		return nil, fmt.Errorf("image folder: %w", err)
	}
	s := &Set{Format: "folder", Root: root, Classes: classes}
	for label, c := range classes {
		dir := filepath.Join(root, c)
		ents, err := os.ReadDir(dir)
		if err != nil {
			s.Skipped = append(s.Skipped, Skip{SkipFolder, dir, "unreadable folder: " + err.Error()})
			continue
		}
		for _, e := range ents {
			name := e.Name()
			if isJunk(name) {
				continue
			}
			p := filepath.Join(dir, name)
			if e.IsDir() || !IsImageName(name) {
				s.Skipped = append(s.Skipped, Skip{SkipFile, p, "not an image file"})
				continue
			}
			s.Samples = append(s.Samples, Sample{Path: p, Label: label, Age: -1, Name: c + "/" + name})
		}
	}
	if len(s.Samples) == 0 {
		return nil, fmt.Errorf("image folder %s: %w in its class folders (%s): each class is a folder of image files (%s)", root, ErrNoData, strings.Join(classes, ", "), imageExtList())
	}
	return s, nil
}
