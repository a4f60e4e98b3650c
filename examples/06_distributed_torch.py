"""A symnn network trained with PyTorch DistributedDataParallel: 2 processes, one global batch.

The network is designed in symnn (GELU hidden layer, softmax cross-entropy), exported with
``net.to_torch()`` (symnn's stable forward code, its symbolic derivatives as the backward
pass) and trained by 2 processes on this machine (the gloo backend on localhost); each
process holds half of the global batch and DistributedDataParallel averages the gradients.
The loss after every step equals single-process training on the whole batch, and the
trained weights come back into symnn with ``net.load_weights_from(module)``.

The same script runs on several GPUs or machines: start one process per device with
``torchrun`` (which sets RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), use the "nccl"
backend and ``module.to(device)``; nothing symnn-specific changes.

Run: python examples/06_distributed_torch.py  [FOLDER]  (writes distributed_loss.png and
losses.json into FOLDER, or into a new temporary folder). Needs PyTorch.
"""

import json
import socket
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel as DDP

import symnn as sn

WORLD, STEPS, LR, N = 2, 8, 0.5, 64


def design() -> sn.Network:
    """The network and data, the same in every process (seeded)."""
    return sn.Network([4, 16, 3], activation="gelu", loss="cross_entropy", seed=0)


def data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(N, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)  # 3 classes
    return torch.tensor(X), torch.tensor(y)


def weight(module, n_local: int) -> float:
    """This process's share of the global loss: L = sum over processes of w_r L_r."""
    return n_local / N if module.loss.reduction == "mean" else 1.0


def single_process() -> tuple[list[float], float]:
    module = design().to_torch()
    X, y = data()
    opt = torch.optim.SGD(module.parameters(), lr=LR)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = module.loss_fn(X, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, module.loss_fn(X, y).item()


def worker(rank: int, port: int, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=WORLD)  # fmt: skip
    torch.manual_seed(0)
    module = design().to_torch()
    ddp = DDP(module)
    X, y = data()
    Xr, yr = X[rank::WORLD], y[rank::WORLD]  # this process's half of the global batch
    w = weight(module, len(Xr))
    opt = torch.optim.SGD(ddp.parameters(), lr=LR)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        local = module.loss(ddp(Xr), yr)
        # DDP averages gradients over the processes: scale so the average is dL/dθ
        (local * (w * WORLD)).backward()
        opt.step()
        total = (local * w).detach()
        dist.all_reduce(total)  # the global batch's loss
        losses.append(total.item())
    if rank == 0:
        net = design().load_weights_from(module)  # back into symnn, to inspect and plot
        Xn, yn = (t.numpy() for t in data())
        Path(out).write_text(json.dumps({"ddp": losses, "symnn_after": net.loss_value(Xn, yn)}))
    dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="symnn-example-"))
    OUT.mkdir(parents=True, exist_ok=True)
    result = OUT / "losses.json"
    mp.spawn(worker, args=(free_port(), str(result)), nprocs=WORLD, join=True)
    found = json.loads(result.read_text())
    found["single"], found["single_after"] = single_process()
    result.write_text(json.dumps(found, indent=1))
    for step, (a, b) in enumerate(zip(found["ddp"], found["single"], strict=True), start=1):
        print(f"step {step}: loss {a:.15f} (DDP, {WORLD} processes)  {b:.15f} (one process)")
    gap = max(abs(a - b) / abs(b) for a, b in zip(found["ddp"], found["single"], strict=True))
    print(f"largest relative difference: {gap:.1e}")

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    steps = range(1, STEPS + 1)
    ax.plot(steps, found["single"], "o-", label="one process, whole batch")
    ax.plot(steps, found["ddp"], "x--", label=f"DistributedDataParallel, {WORLD} processes")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (softmax cross-entropy)")
    ax.legend()
    fig.savefig(OUT / "distributed_loss.png", dpi=120, bbox_inches="tight")
    print(f"losses in {result}")
    print(f"wrote {OUT / 'distributed_loss.png'}")
