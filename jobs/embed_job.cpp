#include "jobs/embed_job.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "analysis/acoustic_embedding.hpp"
#include "core/error.hpp"
#include "io/audio_embedding_file.hpp"
#include "io/wav_file.hpp"
#include "jobs/clip_embedding.hpp"
#include "mpi/agree.hpp"
#include "mpi/partition.hpp"

namespace b2m::jobs {
namespace {

namespace fs = std::filesystem;

std::optional<EmbedOptions> parse(const cli::Arguments& args) {
  cli::Parser p("embed", "Audio clips -> b2m's acoustic embedding (docs/formats.md)");
  p.add()("audio-dir", "embed every *.wav in this folder (ids: the file names)",
          cxxopts::value<std::string>())(
      "audio-list", "or embed the files listed here, one a line (relative to the list's folder)",
      cxxopts::value<std::string>());
  p.outputs("output embedding file (.h5)", /*summary=*/false);
  const auto r = p.parse(args);
  if (!r) return std::nullopt;
  EmbedOptions o;
  o.audio_dir = p.optional<std::string>(*r, "audio-dir", "");
  o.audio_list = p.optional<std::string>(*r, "audio-list", "");
  if (o.audio_dir.empty() == o.audio_list.empty())
    throw ConfigError("embed: give one of --audio-dir and --audio-list");
  o.output = p.outputs(*r, args);
  return o;
}

}  // namespace

std::string clip_id_of(const std::string& path) {
  return fs::path(path).stem().string();
}

std::vector<std::string> audio_inputs(const EmbedOptions& o) {
  std::vector<std::string> files;
  if (!o.audio_dir.empty()) {
    if (!fs::is_directory(o.audio_dir))
      throw InputError(o.audio_dir + ": no such folder of audio clips");
    for (const auto& e : fs::directory_iterator(o.audio_dir))
      if (e.path().extension() == ".wav") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw InputError(o.audio_dir + ": no *.wav files");
  } else {
    std::ifstream in(o.audio_list);
    if (!in) throw InputError(o.audio_list + ": cannot read the list of audio clips");
    const fs::path base = fs::path(o.audio_list).parent_path();
    for (std::string line; std::getline(in, line);) {
      line.erase(0, line.find_first_not_of(" \t\r"));
      line.erase(line.find_last_not_of(" \t\r") + 1);
      if (!line.empty())
        files.push_back(fs::path(line).is_absolute() ? line : (base / line).string());
    }
    if (files.empty()) throw InputError(o.audio_list + ": lists no audio clips");
  }
  std::vector<std::string> ids;
  for (const std::string& f : files) ids.push_back(clip_id_of(f));
  std::sort(ids.begin(), ids.end());
  const auto twice = std::adjacent_find(ids.begin(), ids.end());
  if (twice != ids.end())
    throw InputError((o.audio_dir.empty() ? o.audio_list : o.audio_dir) +
                     ": two clips have the id '" + *twice +
                     "' (ids are the file names without extension)");
  return files;
}

void embed_clips(const std::vector<std::string>& files, io::H5File& f, const mpi::Comm& comm) {
  // The rate of the first clip sets the embedder's; every clip must share it.
  const int rate = mpi::agree_on(comm, [&] { return io::read_wav(files.front()).rate; });
  const mpi::Range mine =
      mpi::even_part(files.size(), std::size_t(comm.size()), std::size_t(comm.rank()));
  const std::size_t dim = analysis::AcousticEmbedder::dim();
  std::vector<ClipSource> clips;
  for (const std::string& file : files) clips.push_back(wav_clip(file));
  const std::vector<double> values =
      mpi::agree_on(comm, [&] { return acoustic_embeddings(clips, mine, rate, 0); });
  std::vector<std::string> ids;
  for (const std::string& file : files) ids.push_back(clip_id_of(file));
  io::create_audio_embeddings(f, ids, dim, acoustic_embedder_name());
  std::vector<std::string> names;
  std::vector<double> sizes;
  for (const auto& [name, size] : analysis::AcousticEmbedder::blocks()) {
    names.push_back(name);
    sizes.push_back(double(size));
  }
  f.write_attribute("/embeddings", "blocks", names);
  f.write_attribute("/embeddings", "block_sizes", sizes);
  f.write_attribute("/", "rate", std::vector<double>{double(rate)});
  io::write_audio_embeddings(f, mine.begin, mine.size(), values);
}

void run_embed(const EmbedOptions& o, const mpi::Comm& world) {
  const std::vector<std::string> files = mpi::agree_on(world, [&] { return audio_inputs(o); });
  std::vector<std::string> inputs = files;
  if (!o.audio_list.empty()) inputs.insert(inputs.begin(), o.audio_list);
  Stage stage("embed", {}, o.output, {{"embedder", acoustic_embedder_name()}});
  stage.run({{"clips", {o.output.out}, inputs}}, 1, world, [&](UnitRun& run) {
    io::OutputFile out = run.open();
    embed_clips(files, out.file(), run.comm());
    const nlohmann::json row = nlohmann::json::object();
    run.commit(out, row);
    return row;
  });
}

int embed_command(const cli::Arguments& args, const mpi::Comm& world) {
  return cli::run_verb<EmbedOptions>(args, world, parse, run_embed);
}

void embed_check(const cli::Arguments& args) {
  static_cast<void>(parse(args));
}

}  // namespace b2m::jobs
