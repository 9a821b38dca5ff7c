//go:build amd64 && !openblas

package models

import "testing"

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
