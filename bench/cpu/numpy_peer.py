"""The peers of bench/cpu: NumPy (OpenBLAS) for matmul, NumPy for attention
and numpy.fft for the causal convolution, timed like tessera-run --bench
(median of N runs after one warm-up). Prints one line per case:
<case> <median seconds>."""
import sys
import time

import numpy as np


def median_time(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    rng = np.random.default_rng(0)
    for n in (1024, 2048):
        a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        print(f"matmul_{n}", median_time(lambda: a @ b, runs))

    q, k, v = (rng.uniform(-1, 1, (1, 8, 1024, 64)).astype(np.float32)
               for _ in range(3))
    mask = np.triu(np.ones((1024, 1024), dtype=bool), 1)

    def attention():
        s = (q @ k.transpose(0, 1, 3, 2)) * np.float32(1 / 8)
        s[..., mask] = -np.inf
        s = np.exp(s - s.max(-1, keepdims=True))
        return (s / s.sum(-1, keepdims=True)) @ v
    print("attention", median_time(attention, runs))

    u = rng.uniform(-1, 1, (4, 64, 1024)).astype(np.float32)
    kf = rng.uniform(-1, 1, (64, 1024)).astype(np.float32)
    d = rng.uniform(-1, 1, (64,)).astype(np.float32)

    def fftconv():
        n = 2048
        y = np.fft.irfft(np.fft.rfft(u, n) * np.fft.rfft(kf, n), n)[..., :1024]
        return y + d[:, None] * u
    print("fftconv", median_time(fftconv, runs))


if __name__ == "__main__":
    main()
