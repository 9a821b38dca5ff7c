package models

import (
	"fmt"
	"sort"
	"strings"

	"github.com/maskdash/maskdash/models/ops"
	G "gorgonia.org/gorgonia"
	nnops "gorgonia.org/gorgonia/ops/nn"
)

// builder adds layers to one graph, creating parameters on the training
// build and reusing them on the evaluation build.
type builder struct {
	net   *Net
	g     *G.ExprGraph
	train bool
	nodes G.Nodes // learnable parameter nodes, in Params order
	arena *ops.GradArena
	// gorgonia: build from Gorgonia's ops only (EngineGorgonia).
	gorgonia bool
	bns      []*gorgoniaBNLayer // the Gorgonia-ops BatchNorm layers, in order
	flops    float64            // a training step's per image (Net.StepFLOPs)
	// spatial is the last feature map that keeps its rows and columns:
	// what global average pooling reads (Net.CAM); nil before any.
	spatial *G.Node
}

// count adds a layer's multiply-adds per image to the step's FLOPs: the
// forward product, the kernel gradient's, and the input gradient's unless
// the layer reads the network's input.
func (b *builder) count(x *G.Node, macs int) {
	passes := 3
	if x.Op() == nil {
		passes = 2
	}
	b.flops += float64(2 * passes * macs)
}

func (b *builder) node(p *Param) *G.Node {
	n := G.NodeFromAny(b.g, p.t, G.WithName(p.Name))
	if p.Grad != nil && b.train {
		b.nodes = append(b.nodes, n)
	}
	return n
}

// conv adds a K×K stride-1 "same" convolution, without bias.
func (b *builder) conv(x *G.Node, name string, cout, k int) (*G.Node, error) {
	cin := x.Shape()[1]
	w := b.net.newParam(name+".weight", []int{cout, cin, k, k}, true, false, heNormal(b.net.rng, cin*k*k))
	b.count(x, cout*cin*k*k*x.Shape()[2]*x.Shape()[3]) // stride 1, same size
	if b.gorgonia {
		return b.gorgoniaConv(x, b.node(w), k)
	}
	return ops.Conv(x, b.node(w), k, b.arena)
}

// bias adds a per-channel bias, with ReLU when relu is set.
func (b *builder) bias(x *G.Node, name string, relu bool) (*G.Node, error) {
	c := x.Shape()[1]
	fan := c
	if w, ok := b.net.byName[name+".weight"]; ok {
		fan = w.Shape[1] * w.Shape[2] * w.Shape[3]
	}
	p := b.net.newParam(name+".bias", []int{c}, false, false, uniformFan(b.net.rng, fan))
	if b.gorgonia {
		return b.gorgoniaBias(x, b.node(p), relu)
	}
	return ops.ChanBias(x, b.node(p), relu)
}

// bn adds BatchNorm (momentum 0.1, ε 1e-5), with ReLU fused when relu is set.
func (b *builder) bn(x *G.Node, name string, relu bool) (*G.Node, error) {
	c := x.Shape()[1]
	gamma := b.net.newParam(name+".weight", []int{c}, false, false, fill(1))
	beta := b.net.newParam(name+".bias", []int{c}, false, false, fill(0))
	mean := b.net.newParam(name+".running_mean", []int{c}, false, true, fill(0))
	vari := b.net.newParam(name+".running_var", []int{c}, false, true, fill(1))
	st, ok := b.net.stats[name]
	if !ok {
		st = &ops.BNStats{Mean: mean.Data, Var: vari.Data, Momentum: 0.1, Eps: 1e-5}
		b.net.stats[name] = st
	}
	if b.gorgonia {
		return b.gorgoniaBN(x, st, gamma, beta, relu)
	}
	return ops.BatchNorm(x, b.node(gamma), b.node(beta), st, b.train, relu)
}

// convBNReLU is conv → BatchNorm → ReLU, the vgg-s block.
func (b *builder) convBNReLU(x *G.Node, name string, cout int) (*G.Node, error) {
	y, err := b.conv(x, name+".conv", cout, 3)
	if err != nil {
		return nil, err
	}
	return b.bn(y, name+".bn", true)
}

// add is the residual connection y + x.
func (b *builder) add(y, x *G.Node) (*G.Node, error) {
	if b.gorgonia {
		return G.Add(y, x)
	}
	return ops.Residual(y, x)
}

func (b *builder) pool(x *G.Node) (*G.Node, error) {
	if b.gorgonia {
		return b.gorgoniaPool(x)
	}
	return ops.MaxPool2(x, b.arena)
}

// subsample keeps every second row and column: after a stride-1 same
// convolution, that convolution with stride 2.
func (b *builder) subsample(x *G.Node) (*G.Node, error) { return ops.Subsample(x) }

// pool3 is 3×3 max pooling, stride 2, padding 1.
func (b *builder) pool3(x *G.Node) (*G.Node, error) { return ops.MaxPool3(x) }

func (b *builder) gap(x *G.Node) (*G.Node, error) {
	b.spatial = x
	if b.gorgonia {
		return b.gorgoniaGAP(x)
	}
	return ops.GlobalAvgPool(x)
}

func (b *builder) relu(x *G.Node) (*G.Node, error) {
	if b.gorgonia {
		return nnops.Rectify(x)
	}
	return ops.ReLU(x)
}

// dense adds a fully connected layer from x (flattened) to out units.
func (b *builder) dense(x *G.Node, name string, out int) (*G.Node, error) {
	k := 1
	for _, d := range x.Shape()[1:] {
		k *= d
	}
	w := b.net.newParam(name+".weight", []int{k, out}, true, false, uniformFan(b.net.rng, k))
	bias := b.net.newParam(name+".bias", []int{out}, false, false, uniformFan(b.net.rng, k))
	w.Output = name == "fc" || strings.HasSuffix(name, ".out")
	bias.Output = w.Output
	b.count(x, k*out)
	if b.gorgonia {
		return b.gorgoniaDense(x, b.node(w), b.node(bias))
	}
	return ops.Linear(x, b.node(w), b.node(bias))
}

func (b *builder) dropout(x *G.Node, p float64) (*G.Node, error) {
	if p <= 0 {
		return x, nil
	}
	return ops.Dropout(x, p, b.train, ops.DropKey(b.net.Spec.Seed, uint64(len(b.nodes))+0xd0))
}

// heads adds the output layers: one dense layer to Classes, or for a
// multi-head model three heads (mask 3, gender 2, age 3), each with
// HeadDepth hidden layers, concatenated into 8 logits.
func (b *builder) heads(feat *G.Node) (*G.Node, error) {
	s := b.net.Spec
	if !isMultiHead(s.Name) {
		x, err := b.dropout(feat, s.Dropout)
		if err != nil {
			return nil, err
		}
		return b.dense(x, "fc", s.Classes)
	}
	var outs G.Nodes
	for t, size := range s.Heads() {
		name := []string{"mask", "gender", "age"}[t]
		x := feat
		var err error
		for d := 0; d < s.HeadDepth; d++ {
			if x, err = b.dense(x, fmt.Sprintf("head.%s.%d", name, d), s.HeadWidth); err != nil {
				return nil, err
			}
			if x, err = b.relu(x); err != nil {
				return nil, err
			}
		}
		if x, err = b.dropout(x, s.Dropout); err != nil {
			return nil, err
		}
		if x, err = b.dense(x, "head."+name+".out", size); err != nil {
			return nil, err
		}
		outs = append(outs, x)
	}
	if b.gorgonia {
		return G.Concat(1, outs...)
	}
	return ops.ConcatCols(outs...)
}

// registry maps base model names to their trunks.
var registry = map[string]func(b *builder, x *G.Node) (*G.Node, error){
	"cnn-s":    cnnS,
	"vgg-s":    vggS,
	"resnet-s": resnetS,
	"resnet18": resnet18,
}

// Names lists every model name, multi-head variants included.
func Names() []string {
	var out []string
	for k := range registry {
		out = append(out, k, k+"-mh")
	}
	sort.Strings(out)
	return out
}

// NamesList is Names joined with commas.
func NamesList() string { return strings.Join(Names(), ", ") }

func isMultiHead(name string) bool { return strings.HasSuffix(name, "-mh") }

// SameTrunk reports whether models a and b have the same layers below
// their heads (a model and its multi-head variant do), so that one's
// trunk can start the other.
func SameTrunk(a, b string) bool  { return baseName(a) == baseName(b) }
func baseName(name string) string { return strings.TrimSuffix(name, "-mh") }

// chain applies layer functions in turn.
func chain(x *G.Node, fs ...func(*G.Node) (*G.Node, error)) (*G.Node, error) {
	var err error
	for _, f := range fs {
		if x, err = f(x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// cnnS is DESIGN.md's cnn-s: conv3×3 3→16, ReLU, maxpool2; conv3×3 16→32,
// ReLU, maxpool2 (the dense layer →18 is the head).
func cnnS(b *builder, x *G.Node) (*G.Node, error) {
	return chain(x,
		func(x *G.Node) (*G.Node, error) { return b.conv(x, "conv1", 16, 3) },
		func(x *G.Node) (*G.Node, error) { return b.bias(x, "conv1", true) },
		b.pool,
		func(x *G.Node) (*G.Node, error) { return b.conv(x, "conv2", 32, 3) },
		func(x *G.Node) (*G.Node, error) { return b.bias(x, "conv2", true) },
		b.pool,
	)
}

// vggS is DESIGN.md's vgg-s: five conv3×3 (no bias) + BatchNorm + ReLU
// blocks, 3→32→32, pool, →64→64, pool, →128, pool, global average pool.
func vggS(b *builder, x *G.Node) (*G.Node, error) {
	blk := func(name string, c int) func(*G.Node) (*G.Node, error) {
		return func(x *G.Node) (*G.Node, error) { return b.convBNReLU(x, name, c) }
	}
	return chain(x, blk("b1", 32), blk("b2", 32), b.pool, blk("b3", 64), blk("b4", 64), b.pool,
		blk("b5", 128), b.pool, b.gap)
}

// resnetS is a small residual net: a stem block of 32 channels, then three
// stages (32, 64, 128 channels) of one basic residual block each, with a
// widening conv block and a max pool between stages, and global average
// pooling.
func resnetS(b *builder, x *G.Node) (*G.Node, error) {
	res := func(name string) func(*G.Node) (*G.Node, error) {
		return func(x *G.Node) (*G.Node, error) {
			c := x.Shape()[1]
			y, err := b.convBNReLU(x, name+".a", c)
			if err != nil {
				return nil, err
			}
			if y, err = b.conv(y, name+".b.conv", c, 3); err != nil {
				return nil, err
			}
			if y, err = b.bn(y, name+".b.bn", false); err != nil {
				return nil, err
			}
			if y, err = b.add(y, x); err != nil {
				return nil, err
			}
			return b.relu(y)
		}
	}
	blk := func(name string, c int) func(*G.Node) (*G.Node, error) {
		return func(x *G.Node) (*G.Node, error) { return b.convBNReLU(x, name, c) }
	}
	return chain(x, blk("stem", 32), res("s1"), b.pool, blk("w2", 64), res("s2"), b.pool,
		blk("w3", 128), res("s3"), b.pool, b.gap)
}

// resnet18 is torchvision's ResNet-18 (He et al., 2016) below its
// classifier: a 7×7 convolution of 64 channels with stride 2, BatchNorm,
// ReLU and a 3×3 max pool with stride 2; four stages of two basic blocks
// (64, 128, 256, 512 channels), the first block of each later stage with
// stride 2 and a 1×1 convolution and BatchNorm on its shortcut; global
// average pooling. Its parameters have torchvision's names (conv1.weight,
// layer2.0.downsample.1.running_var…), so that a torchvision state_dict,
// ImageNet's weights, loads by name (--pretrained). A stride-2
// convolution is the stride-1 one subsampled, which is the same values
// (the 1×1 one subsamples first, which costs nothing more).
func resnet18(b *builder, x *G.Node) (*G.Node, error) {
	if b.gorgonia {
		return nil, fmt.Errorf("resnet18 is built from this project's ops only: the gorgonia engine builds cnn-s, vgg-s and resnet-s")
	}
	x, err := chain(x,
		func(x *G.Node) (*G.Node, error) { return b.conv(x, "conv1", 64, 7) },
		b.subsample,
		func(x *G.Node) (*G.Node, error) { return b.bn(x, "bn1", true) },
		b.pool3)
	if err != nil {
		return nil, err
	}
	for stage, c := range []int{64, 128, 256, 512} {
		for blk := range 2 {
			if x, err = b.basicBlock(x, fmt.Sprintf("layer%d.%d", stage+1, blk), c, stage > 0 && blk == 0); err != nil {
				return nil, err
			}
		}
	}
	return b.gap(x)
}

// basicBlock is torchvision's BasicBlock: conv3×3, BatchNorm, ReLU,
// conv3×3, BatchNorm, plus the shortcut, ReLU. down halves the rows and
// columns (stride 2) and the shortcut then goes through a 1×1 convolution
// and BatchNorm to the block's channels.
func (b *builder) basicBlock(x *G.Node, name string, c int, down bool) (*G.Node, error) {
	// stride2 is the subsample when the block halves the size, else nothing.
	stride2 := func(x *G.Node) (*G.Node, error) {
		if down {
			return b.subsample(x)
		}
		return x, nil
	}
	y, err := chain(x,
		func(x *G.Node) (*G.Node, error) { return b.conv(x, name+".conv1", c, 3) },
		stride2,
		func(x *G.Node) (*G.Node, error) { return b.bn(x, name+".bn1", true) },
		func(x *G.Node) (*G.Node, error) { return b.conv(x, name+".conv2", c, 3) },
		func(x *G.Node) (*G.Node, error) { return b.bn(x, name+".bn2", false) })
	if err != nil {
		return nil, err
	}
	short := x
	if down || x.Shape()[1] != c {
		short, err = chain(x, stride2,
			func(x *G.Node) (*G.Node, error) { return b.conv(x, name+".downsample.0", c, 1) },
			func(x *G.Node) (*G.Node, error) { return b.bn(x, name+".downsample.1", false) })
		if err != nil {
			return nil, err
		}
	}
	if y, err = b.add(y, short); err != nil {
		return nil, err
	}
	return b.relu(y)
}
