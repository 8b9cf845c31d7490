// b2m's built-in acoustic embedder (issue 18): a fixed-length vector per
// clip of audio from its log-mel spectrogram, its spectral shape, its tempo
// and its harmony, the features through which `b2m evaluate` judges a
// reconstruction when no learned embedder (MuLan, CLAP) is at hand.
//
// The definition (docs/formats.md, "Acoustic embedding"; tests/reference/
// acoustic_embedding.py computes the same with numpy to 1e-6). For mono
// samples x[0..L) at R samples per second:
//
//   STFT     window N = 2 round(0.064 R) samples (2048 at 16 kHz), hop
//            H = round(0.032 R) (512); frames t = 0..T-1, T = 1 + (L-N) div H,
//            no padding; periodic Hann w[n] = 0.5 - 0.5 cos(2 pi n / N);
//            power P[t,k] = |sum_n w[n] x[tH+n] e^(-2 pi i k n / N)|^2
//            / (sum_n w[n])^2 at f_k = k R / N, k = 0..N/2.
//   log-mel  64 triangular bands (peak 1) with edges equally spaced in HTK
//            mel, m(f) = 2595 log10(1 + f / 700), from 30 Hz to
//            min(8000, R/2) Hz; S[t,b] = ln(sum_k W[b,k] P[t,k] + 1e-10).
//   spectral per frame over k >= 1, with E = sum P: the centroid
//            c = sum f P / (E + 1e-12) and spread
//            sqrt(sum (f - c)^2 P / (E + 1e-12)) in kHz; the flatness
//            exp(mean ln(P + 1e-10)) / (mean P + 1e-10); the log energy
//            ln(E + 1e-10); the flux (onset strength) of frames t >= 1,
//            F[t] = mean_b max(0, S[t,b] - S[t-1,b]).
//   tempo    o = F - mean F; autocorrelation r(l) = sum_t o[t] o[t+l] /
//            sum_t o[t]^2 (0 if o is 0); at 32 tempi 60 * 4^(i/31) bpm
//            (60..240), lag = 60 / bpm * R / H frames, r linearly
//            interpolated between the neighbouring integer lags.
//   harmony  frames of Nh = 2 round(0.256 R) samples (8192 at 16 kHz: a
//            semitone apart at 40 Hz is 2 bins), hop Nh, periodic Hann; Q[k]
//            the frames' mean |FFT|^2 at f_k = k R / Nh. A chroma over a
//            range sums Q per pitch class (round(12 log2(f_k / 440)) + 9)
//            mod 12 (0: C) and divides by its sum + 1e-12: c over
//            80..2000 Hz, the bass's b over 35..100 Hz. The bass-relative
//            chroma rel[i] = sum_j b[j] c[(j + i) mod 12] is the chroma
//            heard from the bass note, in any key: rel[4] against rel[3]
//            is the major against the minor third.
//
// The vector: the mean and the population sd over frames of S (64 + 64);
// the mean and sd of centroid, spread, flatness, log energy and flux (10);
// r at the 32 tempi; c (12); rel (12): 194 values.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "analysis/real_fft.hpp"

namespace b2m::analysis {

class AcousticEmbedder {
 public:
  // For clips at `rate` samples per second (8000..96000).
  explicit AcousticEmbedder(int rate);

  [[nodiscard]] int rate() const { return rate_; }
  [[nodiscard]] std::size_t window() const { return window_; }
  [[nodiscard]] std::size_t hop() const { return hop_; }
  [[nodiscard]] std::size_t harmony_window() const { return harmony_fft_.size(); }
  // The shortest clip, in samples, with a frame past the slowest tempo's lag.
  [[nodiscard]] std::size_t min_samples() const;
  // The vector's blocks in order (name, size), as the header above lists them.
  [[nodiscard]] static std::vector<std::pair<std::string, std::size_t>> blocks();
  [[nodiscard]] static std::size_t dim();

  // The embedding of one clip of mono samples into `out` (dim() values).
  // ConfigError for a clip shorter than min_samples() or with a non-finite
  // sample.
  void embed(const std::vector<float>& samples, double* out);

 private:
  struct Band {
    std::size_t first = 0;        // first bin with a non-zero weight
    std::vector<double> weights;  // from `first` on
  };
  int rate_;
  std::size_t window_, hop_;
  std::vector<double> hann_, harmony_hann_;
  double hann_sum_ = 0;
  std::vector<Band> bands_;
  std::vector<double> khz_;  // f_k of the STFT's bins, in kHz
  // Per bin of the harmony frames, the pitch class in c's and b's range
  // (-1 outside).
  std::vector<int> chroma_class_, bass_class_;
  RealFft fft_, harmony_fft_;
};

}  // namespace b2m::analysis
