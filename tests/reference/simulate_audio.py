#!/usr/bin/python3
"""b2m simulate --audio (issue 18, item 1): a WAV per stimulus clip whose
sound carries the clip's tags, checked with numpy, scipy and
python3-soundfile, independently of b2m's own code; and b2m embed, the
built-in acoustic embedder, on those clips.

A study of 1 subject (easy preset, 200 voxels) with --audio, 4 s per clip:
  * audio.h5 lists the stimulus clips of features.h5, in order, with genre
    tags equal to the clips' genres and instrument and mood tags that cover
    every value; the mood is the mode (bright = major);
  * every WAV decodes, at 16 kHz, 4 s, mono, peak 0.9;
  * the tags are audible: from the log spectrum (64 bands), the onset
    strength and the chroma relative to the bass's pitch (the tonic) of
    each WAV, a logistic regression (scikit-learn,
    5-fold cross-validation over clips) predicts genre, instrument and mood
    at least halfway from chance (the largest class) to 1;
  * the mode: the spectrum's energy at the minor and major thirds above the
    pad's root (from /sound/root) tells /sound/major in >= 95% of clips;
  * the tempo: the onset strength repeats more at the clip's beat than at
    13% off it, in at least halfway from the rate at shuffled tempos to 1;
  * the same files at 1 rank as at the test's rank count; a rerun resumes
    (nothing rewritten); other --audio-seconds without --overwrite are
    refused;
  * corpus.h5 carries the stimuli's tags and sounds as audio.h5 does, and
    sounds of its synthetic clips that follow their tags;
  * b2m embed of the WAVs equals acoustic_reference.py (numpy/scipy, from
    the definition) to 1e-6 on every 9th clip; through b2m's embedding a
    logistic regression recovers genre, instrument and mood at least halfway
    from chance to 1 (5-fold cross-validation: held-out clips); the same
    embedding at 1 rank; a truncated WAV or one at another rate is refused
    on every rank, naming the file, and no output is left.
"""
import os
import sys
import types

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__

import h5py
import numpy as np
import soundfile
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acoustic_reference  # noqa: E402
import harness  # noqa: E402

RATE, SECONDS = 16000, 4.0


def names(ds):
    return [n.decode() if isinstance(n, bytes) else str(n) for n in ds.attrs["names"]]


def log_bands(x, bands=64):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    edges = np.geomspace(40, RATE / 2, bands + 1)
    freqs = np.fft.rfftfreq(x.size, 1 / RATE)
    return np.log(np.array([spectrum[(freqs >= lo) & (freqs < hi)].sum() + 1e-9
                            for lo, hi in zip(edges[:-1], edges[1:])]))


def chroma(x, lo, hi):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / RATE)
    band = (freqs > lo) & (freqs < hi)
    pitch_class = np.round(12 * np.log2(freqs[band] / 440)).astype(int) % 12
    c = np.bincount(pitch_class, weights=spectrum[band], minlength=12)
    return c / c.sum()


def tonal_profile(x):
    """The chroma (80 Hz - 2 kHz) relative to the strongest pitch class of
    the bass (35-140 Hz): the tonic, heard, not read from audio.h5. Major
    and minor share their interval content; only relative to the tonic do
    their thirds differ."""
    tonic = int(np.argmax(chroma(x, 35, 140)))
    return np.roll(chroma(x, 80, 2000), -tonic)


def onset_strength(x):
    hop = RATE // 100
    energy = np.log1p(1e3 * (x[: x.size // hop * hop].reshape(-1, hop) ** 2).sum(axis=1))
    return np.maximum(0, np.diff(energy, prepend=energy[0]))


def pulse_at_beat(x, beat):
    """The onset strength repeats more at the beat than at 13% off it."""
    o = onset_strength(x)
    o = o - o.mean()

    def corr(lag):
        k = int(round(lag * 100))
        return np.dot(o[k:], o[:-k]) / (o.size - k)
    at = corr(beat)
    return at > 0 and at > corr(0.87 * beat) and at > corr(1.13 * beat)


def third_says_major(x, root):
    """Energy at the major third against the minor third of the pad, an
    octave below the tonic (MIDI root - 12)."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    freqs = np.fft.rfftfreq(x.size, 1 / RATE)

    def energy(midi):
        f = 440 * 2 ** ((midi - 69) / 12)
        return spectrum[np.abs(freqs - f) < 0.01 * f].sum()
    return energy(root - 12 + 4) > energy(root - 12 + 3)


CORPUS = 400


def at_ranks(opts, ranks):
    """opts, at `ranks` ranks if given."""
    out = types.SimpleNamespace(**vars(opts))
    if ranks is not None:
        out.ranks = ranks
    return out


def simulate(opts, out, ranks=None, seconds=SECONDS):
    return harness.run_b2m(at_ranks(opts, ranks), ["simulate", "--events", opts.events, "--subjects", 1, "--voxels", 200,
                                 "--preset", "easy", "--seed", 3, "--audio", "--audio-seconds", seconds,
                                 "--corpus", CORPUS, "--out-dir", out], timeout=600)


def check_corpus(path, tags, sound, checks):
    """corpus.h5 holds every clip's sound: the stimuli's as in audio.h5, the
    synthetic clips' consistent with their own tags."""
    with h5py.File(path, "r") as f:
        ctags = {t: f["tags"][t][...] for t in ("genre", "instrument", "mood")}
        csound = {k: f["sound"][k][...] for k in f["sound"]}
        attrs = (f["sound"].attrs["rate"][0], f["sound"].attrs["seconds"][0])
    n = len(tags["genre"])
    same = all(np.array_equal(ctags[t][:n], tags[t]) for t in tags) and \
        all(np.array_equal(csound[k][:n], sound[k]) for k in sound)
    checks.check("corpus.h5: the stimuli's tags and sounds are audio.h5's", same and attrs == (RATE, SECONDS),
                 f"rendering {attrs}")
    synthetic = slice(n, None)
    style = {g: set(sound["rhythm"][tags["genre"] == g]) for g in set(tags["genre"])}
    consistent = (np.array_equal(ctags["instrument"][synthetic], csound["instrument"][synthetic])
                  and np.array_equal(ctags["mood"][synthetic], csound["major"][synthetic])
                  and all({r} == style[g] for g, r in zip(ctags["genre"][synthetic], csound["rhythm"][synthetic])))
    seeds = len(set(csound["seed"])) == len(csound["seed"])
    checks.check(f"corpus.h5: {CORPUS} synthetic clips whose sounds follow their tags (instrument, mode, "
                 "the genre's rhythm), every seed distinct, every instrument drawn",
                 consistent and seeds and set(ctags["instrument"][synthetic]) == set(range(4)),
                 f"{len(ctags['genre'])} rows")


def check_tags_recoverable(features, tags, what, checks):
    """Per tag, a logistic regression on `features` (one row per clip) is
    right on held-out clips (5-fold) at least halfway from chance (the
    largest class) to 1."""
    for tag, labels in tags.items():
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000, C=0.1))
        accuracy = cross_val_score(model, features, labels, cv=5).mean()
        chance = np.bincount(labels).max() / labels.size
        checks.check(f"{tag} {what} accuracy at least halfway from chance to 1",
                     accuracy >= chance + 0.5 * (1 - chance), f"accuracy {accuracy:.3f}, chance {chance:.3f}")


def embed(opts, audio_dir, out, ranks=None):
    return harness.run_b2m(at_ranks(opts, ranks), ["embed", "--audio-dir", audio_dir, "--out", out], timeout=600)


def check_embedder(opts, study, ids, tags, checks):
    """b2m embed against the numpy reference, the tags through it, and its
    refusals."""
    out = os.path.join(opts.scratch, "embedding.h5")
    if not checks.require_run("b2m embed of the stimulus WAVs", embed(opts, os.path.join(study, "audio"), out)):
        return
    with h5py.File(out, "r") as f:
        got_ids = [i.decode() for i in f["ids"][...]]
        e = f["embeddings"][...]
        blocks = [b.decode() if isinstance(b, bytes) else b for b in f["embeddings"].attrs["blocks"]]
    checks.check("one embedding per clip, in id order, 194 values in six blocks",
                 got_ids == sorted(ids) and e.shape == (len(ids), 194) and len(blocks) == 6, f"{e.shape}")
    row = {i: k for k, i in enumerate(got_ids)}
    worst = 0.0
    for i in ids[::9]:
        x, rate = soundfile.read(os.path.join(study, "audio", f"{i}.wav"), dtype="float64")
        ref = acoustic_reference.embed(x, rate)
        worst = max(worst, np.max(np.abs(e[row[i]] - ref) / np.maximum(1, np.abs(ref))))
    checks.check("b2m embed equals the numpy/scipy embedding to 1e-6 (relative beyond 1)", worst <= 1e-6,
                 f"{len(ids[::9])} clips, largest difference {worst:.3g}")
    check_tags_recoverable(e[[row[i] for i in ids]], tags, "through b2m's embedding: held-out", checks)
    if opts.ranks > 1:
        one = os.path.join(opts.scratch, "embedding-1.h5")
        if checks.require_run("b2m embed at 1 rank", embed(opts, os.path.join(study, "audio"), one, 1)):
            with h5py.File(one, "r") as f:
                checks.check(f"the same embedding at 1 rank as at {opts.ranks}",
                             np.array_equal(f["embeddings"][...], e))

    bad_dir = os.path.join(opts.scratch, "bad-audio")
    os.makedirs(bad_dir, exist_ok=True)
    for i in ids[:5]:
        with open(os.path.join(study, "audio", f"{i}.wav"), "rb") as src, \
                open(os.path.join(bad_dir, f"{i}.wav"), "wb") as dst:
            dst.write(src.read())
    victim = os.path.join(bad_dir, f"{ids[3]}.wav")
    os.truncate(victim, os.path.getsize(victim) // 2)
    failed = os.path.join(opts.scratch, "failed.h5")
    r = embed(opts, bad_dir, failed)
    checks.check("a truncated WAV is refused on every rank, naming the file; no output",
                 r.rc != 0 and not r.timed_out and r.every_rank_reported(opts.ranks) and victim in r.stderr
                 and "truncated" in r.stderr and not os.path.exists(failed), r.describe())
    x, _ = soundfile.read(os.path.join(study, "audio", f"{ids[0]}.wav"), dtype="float64")
    soundfile.write(victim, x[::2], RATE // 2, subtype="PCM_16")
    r = embed(opts, bad_dir, failed)
    checks.check("a WAV at another rate is refused on every rank, naming the file and both rates",
                 r.rc != 0 and not r.timed_out and r.every_rank_reported(opts.ranks) and victim in r.stderr
                 and "8000 Hz" in r.stderr and not os.path.exists(failed), r.describe())


def body(opts, checks):
    study = os.path.join(opts.scratch, "study")
    if not checks.require_run("b2m simulate --audio", simulate(opts, study)):
        return
    with h5py.File(os.path.join(study, "audio.h5"), "r") as f, \
            h5py.File(os.path.join(study, "features.h5"), "r") as g:
        ids = [i.decode() for i in f["ids"][...]]
        feature_ids = [i.decode() if isinstance(i, bytes) else str(i) for i in g["clips"].attrs["ids"]]
        tags = {t: f["tags"][t][...] for t in ("genre", "instrument", "mood")}
        tag_names = {t: names(f["tags"][t]) for t in tags}
        sound = {k: f["sound"][k][...] for k in f["sound"]}
    genres = [tag_names["genre"][g] for g in tags["genre"]]
    checks.check("audio.h5 lists the stimulus clips in order, with their genres",
                 ids == feature_ids and genres == [i.split(".")[0] for i in ids], f"{len(ids)} clips")
    checks.check("every instrument and mood occurs; the mood is the mode (bright = major)",
                 set(tags["instrument"]) == set(range(4)) and set(tags["mood"]) == {0, 1} and
                 np.array_equal(tags["mood"], sound["major"]),
                 f"instruments {np.bincount(tags['instrument'])}, moods {np.bincount(tags['mood'])}")

    check_corpus(os.path.join(study, "corpus.h5"), tags, sound, checks)

    audio, bad = [], []
    for i in ids:
        path = os.path.join(study, "audio", f"{i}.wav")
        x, rate = soundfile.read(path, dtype="float64")
        if rate != RATE or x.ndim != 1 or x.size != int(RATE * SECONDS) or abs(np.abs(x).max() - 0.9) > 1e-3:
            bad.append((i, rate, x.shape, np.abs(x).max()))
        audio.append(x)
    checks.check("every WAV decodes: 16 kHz, 4 s, mono, peak 0.9", not bad, str(bad[:3]))
    if bad:
        return

    check_embedder(opts, study, ids, tags, checks)

    features = np.array([np.concatenate([log_bands(x), onset_strength(x)[:400:4], tonal_profile(x)])
                         for x in audio])
    check_tags_recoverable(features, tags, "is audible: cross-validated", checks)
    major = np.array([third_says_major(x, r) for x, r in zip(audio, sound["root"])])
    agree = np.mean(major == (sound["major"] == 1))
    checks.check("the mode is heard at the pad's third in >= 95% of clips", agree >= 0.95, f"{agree:.3f}")
    on_beat = np.mean([pulse_at_beat(x, 60 / bpm) for x, bpm in zip(audio, sound["tempo_bpm"])])
    shuffled = np.mean([pulse_at_beat(x, 60 / bpm) for x, bpm in
                        zip(audio, np.random.default_rng(5).permutation(sound["tempo_bpm"]))])
    checks.check("the pulse follows the tempo: onsets repeat more at the clip's beat than 13% off it "
                 "in at least halfway from the rate at another clip's tempo to 1",
                 on_beat >= shuffled + 0.5 * (1 - shuffled), f"{on_beat:.3f}, at shuffled tempos {shuffled:.3f}")

    if opts.ranks > 1:
        other = os.path.join(opts.scratch, "one")
        if checks.require_run("b2m simulate --audio at 1 rank", simulate(opts, other, 1)):
            differ = [i for i in ids[::7] if open(os.path.join(study, "audio", f"{i}.wav"), "rb").read() !=
                      open(os.path.join(other, "audio", f"{i}.wav"), "rb").read()]
            with h5py.File(os.path.join(study, "audio.h5"), "r") as f, \
                    h5py.File(os.path.join(other, "audio.h5"), "r") as g:
                differ += [k for k in ("ids", "tags/genre", "tags/instrument", "tags/mood", "sound/tempo_bpm",
                                       "sound/seed", "sound/brightness")
                           if not np.array_equal(f[k][...], g[k][...])]
            with h5py.File(os.path.join(study, "corpus.h5"), "r") as f, \
                    h5py.File(os.path.join(other, "corpus.h5"), "r") as g:
                differ += ["corpus.h5:" + k for k in ("ids", "embeddings", "tags/instrument", "sound/tempo_bpm",
                                                      "sound/seed", "sound/root", "sound/rhythm")
                           if not np.array_equal(f[k][...], g[k][...])]
            checks.check(f"the same audio at 1 rank as at {opts.ranks}", not differ, str(differ[:5]))

    first = os.path.join(study, "audio", f"{ids[0]}.wav")
    before = os.stat(first).st_mtime_ns
    r = simulate(opts, study)
    checks.check("a rerun resumes: nothing rewritten", r.rc == 0 and os.stat(first).st_mtime_ns == before,
                 r.describe())
    r = simulate(opts, study, seconds=5)
    checks.check("other --audio-seconds without --overwrite are refused on every rank (the corpus's "
                 "rendering changes first)",
                 r.rc != 0 and not r.timed_out and r.every_rank_reported(opts.ranks) and "corpus.h5" in r.stderr,
                 r.describe())


if __name__ == "__main__":
    harness.script_main(__doc__.splitlines()[0], body, extra=harness.add_events_option)
