#!/usr/bin/env python3
"""PyTorch's GPU memory for the training step of torch_ref.py (the same
networks, Adam, cross entropy, float32): the peak the caching allocator
handed out over three steps, per batch size, as JSON lines
{"impl","model","batch","peak_mib","mib_per_image"}.

    python3 scripts/torch-gpu-memory.py --ref DIR_OF_torch_ref.py --batches 64,256,1024
"""
import argparse, json, sys

ap = argparse.ArgumentParser()
ap.add_argument("--ref", default=".gpu", help="folder holding torch_ref.py")
ap.add_argument("--batches", default="64,256,1024")
ap.add_argument("--models", default="cnn-s,vgg-s")
a = ap.parse_args()
sys.path.insert(0, a.ref)
import torch, torch.nn as nn  # noqa: E402
import torch_ref  # noqa: E402

torch.backends.cudnn.benchmark = True
for name in a.models.split(","):
    for b in (int(s) for s in a.batches.split(",")):
        m = {"cnn-s": torch_ref.cnn_s, "vgg-s": torch_ref.vgg_s}[name]().cuda()
        opt = torch.optim.Adam(m.parameters(), 1e-3)
        x = torch.randn(b, 3, 64, 64, device="cuda")
        y = torch.randint(0, 18, (b,), device="cuda")
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        for _ in range(3):
            opt.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(m(x), y).backward()
            opt.step()
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() / 2**20
        print(json.dumps({"impl": f"torch-{torch.__version__}", "model": name, "batch": b,
                          "peak_mib": round(peak, 1), "mib_per_image": round(peak / b, 3)}), flush=True)
        del m, opt, x, y
        torch.cuda.empty_cache()
