#!/usr/bin/env python3
"""How far PyTorch's own bfloat16 autocast moves one training step's
gradients from its float32 step: the reference for the bound in
maskdash's TestGPUBF16StepNearCPU (models/gpu_half_cuda_test.go). vgg-s
of torch_ref.py, channels-last, a random linear loss on the logits (as
that test's), CPU autocast (no GPU needed). Prints the relative error of
all gradients as one vector and of the worst parameter's. --model resnet18
takes torchvision's ResNet-18 from torch_resnet18.py beside this script.

    /usr/bin/python3 scripts/torch-bf16-gap.py --ref ../shared/bench [--model resnet18]
"""
import argparse, sys

ap = argparse.ArgumentParser()
ap.add_argument("--ref", default=".gpu", help="folder holding torch_ref.py")
ap.add_argument("--model", default="vgg-s", choices=["vgg-s", "resnet18"])
a = ap.parse_args()
sys.path.insert(0, a.ref)
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
import torch  # noqa: E402

if a.model == "resnet18":
    import torch_resnet18  # noqa: E402
    model, sizes = lambda: torch_resnet18.ResNet18(18), [(40, 8), (64, 16)]
else:
    import torch_ref  # noqa: E402
    model, sizes = torch_ref.vgg_s, [(32, 16), (64, 64)]

torch.manual_seed(0)
for sz, b in sizes:
    m = model().to(memory_format=torch.channels_last)
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
    print(f"{a.model} {sz}x{sz} batch {b}: bf16 autocast against float32, gradients {whole:.3g} relative, "
          f"the worst parameter {worst:.3g}")
