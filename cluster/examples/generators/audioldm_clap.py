#!/usr/bin/env python3
"""An example generator for `b2m generate` on a GPU node: AudioLDM (through
Hugging Face diffusers) conditioned on decoded CLAP embeddings.

Not run by b2m's tests: it needs torch, diffusers and transformers, which
are not Debian packages, and the model's weights (cvssp/audioldm-s-full-v2,
about 3 GB), which a GPU node fetches once into its Hugging Face cache. Use
it with embeddings decoded into a CLAP space of 512 dimensions, the space
AudioLDM's diffusion is conditioned on:

    b2m features import clap.npy --ids clip_ids.txt --space clap ...
    b2m decode ... --space clap --out decode/sub-01_clap.h5
    b2m generate decode/sub-01_clap.h5 --out recon/sub-01_clap.h5 \
        --generator "python3 cluster/examples/generators/audioldm_clap.py"

The generator contract (README, "The generator contract"): called with
--embeddings F (.npy, float32 [rows, d]) --rows 3,4,5 --out-dir D --seed S
--seconds X --rate R --space NAME; writes D/<row>.wav for each row, mono,
X seconds at R Hz; the GPU it may use is in CUDA_VISIBLE_DEVICES; row r's
seed is S + r. b2m validates every file; a row it cannot validate is
called again, alone or with others, up to --retries times.
"""
import argparse
import os

import numpy as np
import soundfile
import torch
from diffusers import AudioLDMPipeline
from scipy.signal import resample_poly

MODEL = os.environ.get("AUDIOLDM_MODEL", "cvssp/audioldm-s-full-v2")
MODEL_RATE = 16000  # AudioLDM's vocoder writes 16 kHz


def main():
    ap = argparse.ArgumentParser()
    for name in ("--embeddings", "--rows", "--out-dir", "--seed", "--seconds", "--rate", "--space"):
        ap.add_argument(name, required=True)
    a = ap.parse_args()
    rows = [int(r) for r in a.rows.split(",")]
    emb = np.load(a.embeddings)
    if emb.shape[1] != 512:
        raise SystemExit(f"audioldm_clap: {a.embeddings} has d = {emb.shape[1]}; AudioLDM needs "
                         f"CLAP's 512 (decoded in space {a.space})")
    # The model loads once per call: b2m passes a batch of rows.
    pipe = AudioLDMPipeline.from_pretrained(MODEL, torch_dtype=torch.float16).to("cuda")
    for r in rows:
        # CLAP embeddings are compared by cosine: AudioLDM was trained on
        # unit-norm ones.
        e = torch.tensor(emb[r] / np.linalg.norm(emb[r]), dtype=torch.float16, device="cuda")[None]
        generator = torch.Generator("cuda").manual_seed(int(a.seed) + r)
        audio = pipe(prompt_embeds=e, num_inference_steps=100, audio_length_in_s=float(a.seconds),
                     generator=generator).audios[0]
        rate = int(a.rate)
        if rate != MODEL_RATE:
            g = np.gcd(rate, MODEL_RATE)
            audio = resample_poly(audio, rate // g, MODEL_RATE // g)
        n = int(round(float(a.seconds) * rate))
        audio = np.pad(audio[:n], (0, max(0, n - audio.size)))
        soundfile.write(os.path.join(a.out_dir, f"{r}.wav"), audio, rate, subtype="PCM_16")


if __name__ == "__main__":
    main()
