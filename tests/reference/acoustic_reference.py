"""numpy/scipy implementation of b2m's acoustic embedding (the definition
in analysis/acoustic_embedding.hpp and docs/formats.md), written from the
definition, independently of b2m's C++: the reference the tests and the
embedder benchmark compare b2m embed with."""
import numpy as np
import scipy.signal

BANDS, TEMPI = 64, 32


def mel(f):
    return 2595.0 * np.log10(1.0 + f / 700.0)


def hz(m):
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def geometry(rate):
    n = 2 * int(np.floor(0.064 * rate + 0.5))
    hop = int(np.floor(0.032 * rate + 0.5))
    freqs = np.arange(n // 2 + 1) * rate / n
    edges = hz(np.linspace(mel(30.0), mel(min(8000.0, rate / 2)), BANDS + 2))
    lower = (freqs[None, :] - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]
    upper = (edges[2:, None] - freqs[None, :]) / (edges[2:] - edges[1:-1])[:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    window = scipy.signal.get_window("hann", n, fftbins=True)  # periodic
    return n, hop, freqs, weights, window


def embed(x, rate):
    """The 194 values of one mono clip (float64 samples)."""
    n, hop, freqs, weights, window = geometry(rate)
    frames = 1 + (x.size - n) // hop
    index = np.arange(n)[None, :] + hop * np.arange(frames)[:, None]
    power = np.abs(np.fft.rfft(x[index] * window, axis=1)) ** 2 / window.sum() ** 2
    logmel = np.log(power @ weights.T + 1e-10)

    p = power[:, 1:]
    f = freqs[1:] / 1000.0
    energy = p.sum(axis=1)
    centroid = (p * f).sum(axis=1) / (energy + 1e-12)
    spread = np.sqrt((p * (f[None, :] - centroid[:, None]) ** 2).sum(axis=1) / (energy + 1e-12))
    flatness = np.exp(np.log(p + 1e-10).mean(axis=1)) / (p.mean(axis=1) + 1e-10)
    log_energy = np.log(energy + 1e-10)
    flux = np.maximum(0.0, np.diff(logmel, axis=0)).mean(axis=1)
    spectral = []
    for v in (centroid, spread, flatness, log_energy, flux):
        spectral += [v.mean(), v.std()]

    o = flux - flux.mean()
    zero = o @ o

    def r(lag):
        return (o[: o.size - lag] @ o[lag:]) / zero if zero > 0 else 0.0
    tempo = []
    for bpm in 60.0 * 4.0 ** (np.arange(TEMPI) / (TEMPI - 1)):
        lag = 60.0 / bpm * rate / hop
        below = int(np.floor(lag))
        tempo.append((1 - (lag - below)) * r(below) + (lag - below) * r(below + 1))

    nh = 2 * int(np.floor(0.256 * rate + 0.5))
    hframes = 1 + (x.size - nh) // nh
    hwindow = scipy.signal.get_window("hann", nh, fftbins=True)
    q = (np.abs(np.fft.rfft(x[: hframes * nh].reshape(hframes, nh) * hwindow, axis=1)) ** 2).mean(axis=0)
    hfreqs = np.arange(nh // 2 + 1) * rate / nh

    def chroma(lo, hi):
        band = (hfreqs >= lo) & (hfreqs <= hi)
        pitch = (np.floor(12 * np.log2(hfreqs[band] / 440.0) + 0.5).astype(int) + 9) % 12
        c = np.bincount(pitch, weights=q[band], minlength=12)
        return c / (c.sum() + 1e-12)
    c, b = chroma(80, 2000), chroma(35, 100)
    heard = [np.dot(b, np.roll(c, -i)) for i in range(12)]
    return np.concatenate([logmel.mean(axis=0), logmel.std(axis=0), spectral, tempo, c, heard])
