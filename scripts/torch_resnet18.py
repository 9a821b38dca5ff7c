#!/usr/bin/env python3
"""PyTorch's side of `maskdash bench --model resnet18`: torchvision's ResNet-18 (written out here,
as the machine has no torchvision; the same modules and shapes, 18 classes), the same training step as
../shared/bench/torch_ref.py (forward, cross entropy, backward, Adam), random inputs, float32.

  /usr/bin/python3 scripts/torch_resnet18.py --img 224 --batch 32 --seconds 20
Prints one JSON object: {"impl","model","device","batch","img","images_per_s"}.
The Go tests that compare resnet18 with PyTorch's (models, training) load ResNet18 from this file.
"""
import argparse, json, time
import torch, torch.nn as nn, torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, c, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.downsample = None
        if stride != 1 or cin != c:
            self.downsample = nn.Sequential(nn.Conv2d(cin, c, 1, stride, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers, cin = [], 64
        for i, c in enumerate([64, 128, 256, 512]):
            layers.append(nn.Sequential(BasicBlock(cin, c, 1 if i == 0 else 2), BasicBlock(c, c, 1)))
            cin = c
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--img", type=int, default=224)
    ap.add_argument("--seconds", type=float, default=10.0)
    a = ap.parse_args()
    if a.device == "cuda":
        torch.backends.cudnn.benchmark = True  # as torch_ref.py
    m = ResNet18(18).to(a.device)
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    x = torch.randn(a.batch, 3, a.img, a.img, device=a.device)
    y = torch.randint(0, 18, (a.batch,), device=a.device)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(m(x), y).backward()
        opt.step()

    def sync():
        if a.device == "cuda":
            torch.cuda.synchronize()

    for _ in range(3):
        step()
    sync()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < a.seconds:
        step()
        n += 1
    sync()
    dt = time.perf_counter() - t0
    print(json.dumps({"impl": "torch-" + torch.__version__, "model": "resnet18", "device": a.device, "batch": a.batch,
                      "img": "%dx%d" % (a.img, a.img), "images_per_s": round(n * a.batch / dt, 1)}))


if __name__ == "__main__":
    main()
