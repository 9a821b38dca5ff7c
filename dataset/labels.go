package dataset

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Mask states, in the competition's order.
const (
	MaskWear      = 0 // mask worn correctly (mask1..mask5)
	MaskIncorrect = 1 // mask under the nose or on the chin (incorrect_mask)
	MaskNotWear   = 2 // no mask (normal)
)

// Genders, in the competition's order.
const (
	GenderMale   = 0
	GenderFemale = 1
)

// NumClasses is the number of mask × gender × age classes.
const NumClasses = 18

// TaskSizes are the class counts of the three tasks (mask, gender, age), in
// the order multi-head models emit them.
var TaskSizes = [3]int{3, 2, 3}

// TaskNames name the three tasks in TaskSizes order.
var TaskNames = [3]string{"mask", "gender", "age"}

// AgeBins holds the two age thresholds: age < Young is class 0, age < Old is
// class 1 and anything older is class 2. The competition uses 30 and 60; top
// teams moved Old to 58.
type AgeBins struct {
	Young, Old int
}

// DefaultAgeBins are the competition's official thresholds (30, 60).
var DefaultAgeBins = AgeBins{Young: 30, Old: 60}

// ParseAgeBins reads "30,60" into AgeBins.
func ParseAgeBins(s string) (AgeBins, error) {
	// "30:58" too: a sweep's --grid separates its values with commas.
	parts := strings.Split(strings.ReplaceAll(s, ":", ","), ",")
	if len(parts) != 2 {
		return AgeBins{}, fmt.Errorf("age bins %q: want two ages such as 30,60", s)
	}
	y, err1 := strconv.Atoi(strings.TrimSpace(parts[0]))
	o, err2 := strconv.Atoi(strings.TrimSpace(parts[1]))
	if err1 != nil || err2 != nil || y <= 0 || o <= y {
		return AgeBins{}, fmt.Errorf("age bins %q: want two increasing positive ages such as 30,60", s)
	}
	return AgeBins{Young: y, Old: o}, nil
}

// String formats the bins as "30,60".
func (b AgeBins) String() string { return fmt.Sprintf("%d,%d", b.Young, b.Old) }

// Bin returns the age class (0, 1 or 2) of an age.
func (b AgeBins) Bin(age int) int {
	switch {
	case age < b.Young:
		return 0
	case age < b.Old:
		return 1
	default:
		return 2
	}
}

// Encode returns the 18-way class of a (mask, gender, age class) triple:
// mask*6 + gender*3 + age.
func Encode(mask, gender, age int) int { return mask*6 + gender*3 + age }

// Decode splits an 18-way class into its mask, gender and age classes.
func Decode(c int) (mask, gender, age int) { return (c / 6) % 3, (c / 3) % 2, c % 3 }

// TaskLabel returns the label of class c for task t (0 mask, 1 gender, 2 age).
func TaskLabel(c, t int) int {
	m, g, a := Decode(c)
	return [3]int{m, g, a}[t]
}

var (
	maskShort   = [3]string{"wear", "inc", "none"}
	genderShort = [2]string{"M", "F"}
)

// ClassNames returns a short readable name for each of the 18 classes, such
// as "wear·M·<30", using the given age bins.
func ClassNames(b AgeBins) []string {
	ages := [3]string{fmt.Sprintf("<%d", b.Young), fmt.Sprintf("%d-%d", b.Young, b.Old-1), fmt.Sprintf("%d+", b.Old)}
	out := make([]string, NumClasses)
	for c := range out {
		m, g, a := Decode(c)
		out[c] = maskShort[m] + "·" + genderShort[g] + "·" + ages[a]
	}
	return out
}

// TaskClassNames returns the class names of each task.
func TaskClassNames(b AgeBins) [3][]string {
	return [3][]string{
		{"wear", "incorrect", "none"},
		{"male", "female"},
		{fmt.Sprintf("<%d", b.Young), fmt.Sprintf("%d-%d", b.Young, b.Old-1), fmt.Sprintf("%d+", b.Old)},
	}
}

// maskStems maps the competition's image file stems to mask states.
var maskStems = map[string]int{
	"mask1": MaskWear, "mask2": MaskWear, "mask3": MaskWear, "mask4": MaskWear, "mask5": MaskWear,
	"incorrect_mask": MaskIncorrect, "normal": MaskNotWear,
}

// MaskStem returns the mask state named by an image file stem such as
// "mask3" or "incorrect_mask".
func MaskStem(stem string) (int, bool) {
	m, ok := maskStems[stem]
	return m, ok
}

// MaskStems lists the seven image stems of a profile folder in a fixed order.
func MaskStems() []string {
	s := make([]string, 0, len(maskStems))
	for k := range maskStems {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Profile is one person of the mask competition, parsed from a folder name
// such as "000001_female_Asian_45".
type Profile struct {
	ID     string // a string: ids such as "001498-1" exist
	Gender int
	Race   string
	Age    int
}

// ParseProfile parses a folder name of the form <id>_<gender>_<race>_<age>.
func ParseProfile(name string) (Profile, error) {
	parts := strings.Split(name, "_")
	if len(parts) != 4 {
		return Profile{}, fmt.Errorf("folder %q: want <id>_<gender>_<race>_<age>", name)
	}
	if parts[0] == "" {
		return Profile{}, fmt.Errorf("folder %q: empty id", name)
	}
	var g int
	switch strings.ToLower(parts[1]) {
	case "male":
		g = GenderMale
	case "female":
		g = GenderFemale
	default:
		return Profile{}, fmt.Errorf("folder %q: gender %q is neither male nor female", name, parts[1])
	}
	age, err := strconv.Atoi(parts[3])
	if err != nil || age < 0 || age > 150 {
		return Profile{}, fmt.Errorf("folder %q: age %q is not a number of years", name, parts[3])
	}
	return Profile{ID: parts[0], Gender: g, Race: parts[2], Age: age}, nil
}

// FolderName returns the folder name of a profile.
func (p Profile) FolderName() string {
	g := "male"
	if p.Gender == GenderFemale {
		g = "female"
	}
	return fmt.Sprintf("%s_%s_%s_%d", p.ID, g, p.Race, p.Age)
}
