// `b2m maps`: per-voxel results back into the subject's image grid, as NIfTI
// volumes a viewer or nibabel opens: one float32 .nii.gz per score of an
// encode result (alpha, cv_score, r_test, r2_test, p_test, the noise ceiling
// where present) and q, the Benjamini-Hochberg q-values of p_test; for a
// decode result, the voxels its model used (`selected`, 1). Voxels outside the modelled ones are 0;
// a voxel without a result (NaN) stays NaN. The geometry comes from the result (encode copies it
// from a prepared responses file) or from --responses.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include "analysis/significance.hpp"
#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/h5_file.hpp"
#include "io/nifti.hpp"
#include "jobs/cli.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {
namespace {

namespace fs = std::filesystem;

struct MapsOptions {
  std::vector<std::string> results;
  std::string responses;  // geometry, where the results carry none
  std::string out_dir;
  bool overwrite = false;
};

// The image grid and each voxel's place in it.
struct Placement {
  io::Geometry grid;
  std::vector<std::size_t> index;  // storage index of each voxel
  std::string source;
};

Placement read_placement(const io::H5File& f) {
  if (!f.exists("/voxels/ijk"))
    throw InputError(f.path() +
                     " has no voxel geometry (/voxels/ijk): it was not made from a prepared "
                     "responses file; give --responses with one");
  Placement p;
  p.source = f.path();
  const std::vector<double> grid = f.read_double_attribute("/voxels/ijk", "grid");
  const std::vector<double> affine = f.read_double_attribute("/voxels/ijk", "affine");
  if (grid.size() != 3 || affine.size() != 16)
    throw InputError(f.path() + ":/voxels/ijk: attributes grid (3) and affine (16) expected");
  for (std::size_t d = 0; d < 3; ++d) {
    p.grid.dims[d] = static_cast<std::size_t>(grid[d]);
    p.grid.voxel_mm[d] = std::sqrt(affine[d] * affine[d] + affine[4 + d] * affine[4 + d] +
                                   affine[8 + d] * affine[8 + d]);
  }
  std::copy(affine.begin(), affine.end(), p.grid.affine.begin());
  const std::vector<std::int32_t> ijk = f.read_all<std::int32_t>("/voxels/ijk");
  for (std::size_t v = 0; v < ijk.size() / 3; ++v) {
    const std::int32_t i = ijk[3 * v], j = ijk[3 * v + 1], k = ijk[3 * v + 2];
    if (i < 0 || j < 0 || k < 0 || std::size_t(i) >= p.grid.dims[0] ||
        std::size_t(j) >= p.grid.dims[1] || std::size_t(k) >= p.grid.dims[2])
      throw InputError(f.path() + ":/voxels/ijk: voxel " + std::to_string(v) +
                       " lies outside the grid");
    p.index.push_back(std::size_t(i) +
                      p.grid.dims[0] * (std::size_t(j) + p.grid.dims[1] * std::size_t(k)));
  }
  return p;
}

// The 1-D float datasets of /voxels with one value per voxel.
std::vector<std::string> score_names(const io::H5File& f, std::size_t voxels) {
  std::vector<std::string> out;
  for (const char* name : {"alpha", "cv_score", "r_test", "r2_test", "p_test", "noise_ceiling",
                           "explainable_variance", "r_normalized"}) {
    const std::string d = std::string("/voxels/") + name;
    if (f.exists(d) && f.shape(d) == io::Shape{voxels}) out.push_back(name);
  }
  return out;
}

std::string map_path(const MapsOptions& o, const std::string& result, const std::string& name) {
  return (fs::path(o.out_dir) / (fs::path(result).stem().string() + "_" + name + ".nii.gz"))
      .string();
}

// A result's maps, by name, and where their voxels go.
struct ResultMaps {
  Placement place;
  std::vector<std::pair<std::string, std::vector<double>>> maps;
};

ResultMaps read_maps(const MapsOptions& o, const std::string& result, const mpi::Comm& comm) {
  const io::H5File f(result, io::Access::read, comm);
  if (!f.has_attribute("/", "complete") || f.read_string_attribute("/", "complete") != "yes")
    throw InputError(result + " is not a complete b2m result");
  ResultMaps out;
  if (f.exists("/voxels/ijk") || o.responses.empty()) {
    out.place = read_placement(f);
  } else {
    const io::H5File r(o.responses, io::Access::read, comm);
    out.place = read_placement(r);
  }
  const std::size_t voxels = out.place.index.size();
  for (const std::string& n : score_names(f, voxels))
    out.maps.emplace_back(n, f.read_all<double>("/voxels/" + n));
  if (f.exists("/voxels/selected")) {  // a decode result: the voxels its model used
    std::vector<double> used(voxels, 0.0);
    for (std::int64_t v : f.read_all<std::int64_t>("/voxels/selected")) {
      if (v < 0 || std::size_t(v) >= voxels)
        throw InputError(result + ":/voxels/selected: voxel " + std::to_string(v) +
                         " is not one of the " + std::to_string(voxels) + " voxels");
      used[std::size_t(v)] = 1;
    }
    out.maps.emplace_back("selected", std::move(used));
  }
  if (out.maps.empty())
    throw InputError(result + ": no per-voxel scores of " + std::to_string(voxels) +
                     " voxels (the geometry of " + out.place.source + ")");
  for (std::size_t i = 0; i < out.maps.size(); ++i)
    if (out.maps[i].first == "p_test") {
      std::vector<double> q = analysis::fdr_q_values(out.maps[i].second);
      out.maps.emplace_back("q", std::move(q));
      break;
    }
  return out;
}

// Writes the maps of one result on the root, staged; adds their paths to
// `written` as it goes.
void write_maps(const MapsOptions& o, const std::string& result, const mpi::Comm& comm,
                std::vector<std::string>& written) {
  const ResultMaps all = mpi::agree_on(comm, [&] { return read_maps(o, result, comm); });
  const Placement& place = all.place;
  const auto& maps = all.maps;
  const std::size_t voxels = place.index.size();
  mpi::agree_on(comm, [&] {
    if (!comm.is_root()) return;
    for (const auto& [name, values] : maps) {
      const std::string path = map_path(o, result, name);
      if (fs::exists(path) && !o.overwrite)
        throw ConfigError(path + " exists; give --overwrite to replace it");
      std::vector<float> volume(place.grid.voxels(), 0.0f);
      for (std::size_t v = 0; v < voxels; ++v) volume[place.index[v]] = float(values[v]);
      io::NiftiWriter w(path, place.grid, 1, io::NiftiType::float32);
      written.push_back(path);
      w.write_volume(volume.data());
      w.finish();
    }
  });
}

std::optional<MapsOptions> parse(const cli::Arguments& args) {
  cli::Parser p("maps", "Write per-voxel results as NIfTI volumes in the subject's image grid");
  p.add()("results", "encode or decode results", cxxopts::value<std::vector<std::string>>())(
      "responses", "a prepared responses file with the voxels' geometry (if the results lack it)",
      cxxopts::value<std::string>())("out-dir", "output directory", cxxopts::value<std::string>())(
      "overwrite", "replace existing maps");
  p.positional("results", "RESULT.h5 ...");
  const auto r = p.parse(args);
  if (!r) return std::nullopt;
  MapsOptions o;
  o.results = p.optional<std::vector<std::string>>(*r, "results", {});
  if (o.results.empty()) throw ConfigError("maps: name at least one result file");
  o.responses = p.optional<std::string>(*r, "responses", "");
  o.out_dir = p.required<std::string>(*r, "out-dir");
  o.overwrite = r->count("overwrite") > 0;
  return o;
}

void run_maps(const MapsOptions& o, const mpi::Comm& world) {
  // Every map of every result staged first, then all published: a failure
  // leaves none half-written.
  std::vector<std::string> staged;
  try {
    for (const std::string& result : o.results) write_maps(o, result, world, staged);
  } catch (...) {
    for (const std::string& f : staged) std::remove(io::staged_path(f).c_str());
    throw;
  }
  mpi::agree_on(world, [&] {
    if (!world.is_root()) return;
    for (const std::string& f : staged) {
      io::promote_file(f);
      std::printf("maps: %s\n", f.c_str());
    }
  });
}

}  // namespace

int maps_command(const cli::Arguments& args, const mpi::Comm& world) {
  return cli::run_verb<MapsOptions>(args, world, parse, run_maps);
}

void maps_check(const cli::Arguments& args) {
  static_cast<void>(parse(args));
}

}  // namespace b2m::jobs
