//go:build amd64 && !openblas

package ops

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestEveryGemmPlan checks each assembly SGEMM this CPU can run (AVX-512
// and AVX2), whichever the build picked.
func TestEveryGemmPlan(t *testing.T) {
	plans := gemmPlans()
	if len(plans) == 0 {
		t.Skip("this CPU has no AVX2 and FMA: gonum's SGEMM is the one in use (TestSGEMMMatchesGonum)")
	}
	for _, p := range plans {
		t.Run(p.name, func(t *testing.T) { checkSGEMM(t, packedSGEMM{p}) })
	}
}

// TestAVX2KernelsUseSixteenRegisters: a kernel that does not require
// AVX-512 names none of the registers X/Y/Z16 to 31, which only AVX-512
// CPUs have (avo allocates them freely; an AVX2-only CPU would fault).
func TestAVX2KernelsUseSixteenRegisters(t *testing.T) {
	src, err := os.ReadFile("sgemm_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	high := regexp.MustCompile(`\b[XYZ](1[6-9]|2[0-9]|3[01])\b`)
	for _, fn := range strings.Split(string(src), "\n// func ")[1:] {
		name, _, _ := strings.Cut(fn, "(")
		if strings.Contains(fn, "AVX512") {
			continue
		}
		if r := high.FindString(fn); r != "" {
			t.Errorf("%s needs no AVX-512 but uses %s", name, r)
		}
	}
}
