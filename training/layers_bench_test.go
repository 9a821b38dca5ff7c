package training

import (
	"testing"

	"github.com/maskdash/maskdash/models"
)

// BenchmarkLayerProbe: measuring one step's parameter norms on the CPU
// (the norms, a copy of the weights, the update's norms), for the two
// reference models; compare with a training step (maskdash bench) to see
// what one measure every Config.LayersEvery costs.
func BenchmarkLayerProbe(b *testing.B) {
	for _, name := range []string{"cnn-s", "vgg-s"} {
		b.Run(name, func(b *testing.B) {
			net, err := models.New(models.Spec{Name: name, Batch: 32})
			if err != nil {
				b.Fatal(err)
			}
			p := layerProbe{}
			for b.Loop() {
				if err := p.measure(net); err != nil {
					b.Fatal(err)
				}
				if err := p.moved(net); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(net.NumParams()), "params")
		})
	}
}
