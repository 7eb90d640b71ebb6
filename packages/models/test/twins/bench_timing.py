"""Timing shared by the twins' `mode: bench` (the compute benchmark's protocol,
packages/compute/bench/subject.ts): the median seconds of `steps` calls after
`warmup` untimed ones, as chromflow's side measures."""
import time


def median_seconds(step, steps, warmup):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]
