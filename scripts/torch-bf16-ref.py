#!/usr/bin/env python3
"""PyTorch's bf16 side of `maskdash bench --precision bf16`: torch_ref.py's
networks and step (forward, cross entropy, backward, Adam; 64×64 inputs)
in channels-last memory under bfloat16 autocast, the form the GPU issue
quotes (65,154 images/s for vgg-s at batch 256 on the H200), and with
--compile also through torch.compile (79,271). The batch lives on the GPU.
One JSON line per model: {"impl","model","device","batch","img","mode",
"images_per_s"}.

    python3 scripts/torch-bf16-ref.py --ref DIR_OF_torch_ref.py --models vgg-s --batch 256 [--compile]
"""
import argparse, json, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--ref", default=".gpu", help="folder holding torch_ref.py")
ap.add_argument("--batch", type=int, default=256)
ap.add_argument("--seconds", type=float, default=3.0)
ap.add_argument("--models", default="cnn-s,vgg-s")
ap.add_argument("--compile", action="store_true", help="torch.compile the model")
ap.add_argument("--device", default="cuda", help="cuda; cpu only to try the script where there is no GPU")
a = ap.parse_args()
sys.path.insert(0, a.ref)
import torch, torch.nn as nn  # noqa: E402
import torch_ref  # noqa: E402

torch.backends.cudnn.benchmark = True
dev = a.device


def sync():
    if dev == "cuda":
        torch.cuda.synchronize()


for name in a.models.split(","):
    m = {"cnn-s": torch_ref.cnn_s, "vgg-s": torch_ref.vgg_s}[name]().to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    fwd = torch.compile(m) if a.compile else m
    x = torch.randn(a.batch, 3, 64, 64, device=dev).to(memory_format=torch.channels_last)
    y = torch.randint(0, 18, (a.batch,), device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(dev, dtype=torch.bfloat16):
            loss = nn.functional.cross_entropy(fwd(x), y)
        loss.backward()
        opt.step()

    for _ in range(5 if a.compile else 3):
        step()
    sync()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < a.seconds:
        step()
        n += 1
        if n % 20 == 0:
            sync()
    sync()
    dt = time.perf_counter() - t0
    mode = "channels-last+bf16-autocast" + ("+compile" if a.compile else "")
    print(json.dumps({"impl": f"torch-{torch.__version__}", "model": name, "device": dev, "batch": a.batch,
                      "img": "64x64", "mode": mode, "images_per_s": round(n * a.batch / dt, 1)}), flush=True)
