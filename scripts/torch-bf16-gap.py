#!/usr/bin/env python3
"""How far PyTorch's own bfloat16 autocast moves one training step's
gradients from its float32 step: the reference for the bound in
maskdash's TestGPUBF16StepNearCPU (models/gpu_half_cuda_test.go). vgg-s
of torch_ref.py, channels-last, a random linear loss on the logits (as
that test's), CPU autocast (no GPU needed). Prints the relative error of
all gradients as one vector and of the worst parameter's.

    /usr/bin/python3 scripts/torch-bf16-gap.py --ref ../shared/bench
"""
import argparse, sys

ap = argparse.ArgumentParser()
ap.add_argument("--ref", default=".gpu", help="folder holding torch_ref.py")
a = ap.parse_args()
sys.path.insert(0, a.ref)
import torch  # noqa: E402
import torch_ref  # noqa: E402

torch.manual_seed(0)
for sz, b in [(32, 16), (64, 64)]:
    m = torch_ref.vgg_s().to(memory_format=torch.channels_last)
    x = torch.randn(b, 3, sz, sz).to(memory_format=torch.channels_last)
    c = torch.randn(b, 18)

    def grads(bf16):
        m.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = m(x)
        (out.float() * c).sum().backward()
        return [p.grad.clone() for p in m.parameters()]

    g32, g16 = grads(False), grads(True)
    flat = lambda g: torch.cat([t.flatten() for t in g])  # noqa: E731
    whole = ((flat(g16) - flat(g32)).norm() / flat(g32).norm()).item()
    worst = max(((p - q).norm() / q.norm()).item() for p, q in zip(g16, g32))
    print(f"vgg-s {sz}x{sz} batch {b}: bf16 autocast against float32, gradients {whole:.3g} relative, "
          f"the worst parameter {worst:.3g}")
