package models

import (
	"strings"
	"testing"
)

// TestParsePrecision: every name in PrecisionNames reads back as itself
// ("" as fp32); another is one sentence naming it and the choices.
func TestParsePrecision(t *testing.T) {
	for _, name := range PrecisionNames {
		p, err := ParsePrecision(name)
		if err != nil || p.String() != name {
			t.Errorf("ParsePrecision(%q) = %v, %v", name, p, err)
		}
	}
	if p, err := ParsePrecision(""); err != nil || p != PrecisionFP32 {
		t.Errorf(`ParsePrecision("") = %v, %v`, p, err)
	}
	_, err := ParsePrecision("fp16")
	if err == nil || !strings.Contains(err.Error(), `"fp16"`) || !strings.Contains(err.Error(), "bf16") {
		t.Errorf("ParsePrecision(fp16): %v", err)
	}
}
