#include "io/design_file.hpp"

#include <cstdint>

#include "core/error.hpp"

namespace b2m::io {
namespace {

ColMajor<double> read_matrix(const H5File& f, const std::string& dataset) {
  const Shape s = f.shape(dataset);
  if (s.size() != 2)
    throw InputError(f.path() + ":" + dataset + ": expected a 2-D dataset, got " +
                     std::to_string(s.size()) + "-D");
  const std::vector<double> flat = f.read_all<double>(dataset);
  for (std::size_t i = 0; i < flat.size(); ++i)
    if (!std::isfinite(flat[i]))
      throw InputError(f.path() + ":" + dataset + ": non-finite value at row " +
                       std::to_string(i / s[1]) + ", column " + std::to_string(i % s[1]));
  return Eigen::Map<const RowMajor<double>>(flat.data(), static_cast<Eigen::Index>(s[0]),
                                            static_cast<Eigen::Index>(s[1]));
}

// Keeps the design's training rows of the scans the responses hold, run by
// run: the features of a dropped scan still feed the delayed features of the
// scans after it, which is why the design covers whole runs.
void select_scans(DesignMatrices& d, const ResponsesLayout& layout, const std::string& responses,
                  const std::string& design_source) {
  if (d.train_run.empty())
    throw InputError(responses +
                     " names the scan of each training row (/train/volume), but design " +
                     design_source + " has no /train/run to find those scans in");
  std::vector<std::int64_t> labels(d.train_run.begin(), d.train_run.end());
  const std::vector<mpi::Range> runs = run_ranges(labels, design_source + ":/train/run");
  if (runs.size() != layout.runs.size())
    throw InputError("training runs differ: " + responses + " has " +
                     std::to_string(layout.runs.size()) + ", design " + design_source + " has " +
                     std::to_string(runs.size()));
  std::vector<Eigen::Index> rows;
  std::vector<int> run_of;
  for (std::size_t r = 0; r < runs.size(); ++r)
    for (std::size_t scan : layout.volumes[r]) {
      if (scan >= runs[r].size())
        throw InputError("training run " + std::to_string(r + 1) + ": " + responses +
                         ":/train/volume names scan " + std::to_string(scan) + ", design " +
                         design_source + " has " + std::to_string(runs[r].size()) +
                         " scans in that run");
      rows.push_back(static_cast<Eigen::Index>(runs[r].begin + scan));
      run_of.push_back(d.train_run[runs[r].begin]);
    }
  ColMajor<double> kept = d.train_x(rows, Eigen::all);
  d.train_x = std::move(kept);
  d.train_run = std::move(run_of);
}

}  // namespace

DesignMatrices read_design(const H5File& f) {
  DesignMatrices d;
  d.train_x = read_matrix(f, "/train/X");
  d.test_x = read_matrix(f, "/test/X");
  if (d.train_x.cols() != d.test_x.cols())
    throw InputError(f.path() + ": /train/X has " + std::to_string(d.train_x.cols()) +
                     " features but /test/X has " + std::to_string(d.test_x.cols()));
  if (f.has_attribute("/test", "ids")) d.test_clips = f.read_strings_attribute("/test", "ids");
  d.carry_over_rows = read_count_attribute(f, "/test", "carry_over_rows");
  if (f.exists("/train/run")) {
    const std::vector<std::int64_t> run = f.read_all<std::int64_t>("/train/run");
    if (run.size() != static_cast<std::size_t>(d.train_x.rows()))
      throw InputError(f.path() + ": /train/run has " + std::to_string(run.size()) +
                       " rows, /train/X " + std::to_string(d.train_x.rows()));
    d.train_run.assign(run.begin(), run.end());
  }
  return d;
}

ResponsesLayout responses_for(const H5File& f, DesignMatrices& d,
                              const std::string& design_source) {
  ResponsesLayout out = read_responses_layout(f);
  if (out.volumes_given) select_scans(d, out, f.path(), design_source);
  if (static_cast<std::size_t>(d.train_x.rows()) != out.n)
    throw InputError("training rows differ: " + f.path() + ":/train/Y has " +
                     std::to_string(out.n) + ", design " + design_source + " has " +
                     std::to_string(d.train_x.rows()));
  if (static_cast<std::size_t>(d.test_x.rows()) != out.m)
    throw InputError("test rows differ: " + f.path() + ":/test/Y has " + std::to_string(out.m) +
                     ", design " + design_source + " has " + std::to_string(d.test_x.rows()));
  if (out.m < 2) throw InputError(f.path() + ": fewer than 2 test rows");
  if (out.test_clip_rows == 0 && !d.test_clips.empty())
    out.test_clip_rows = rows_per_clip(out.m, d.test_clips.size(), design_source);
  out.carry_over_rows = d.carry_over_rows;
  return out;
}

void write_design(H5File& f, const DesignMatrices& design) {
  write_matrix<double>(f, "/train/X", design.train_x);
  write_matrix<double>(f, "/test/X", design.test_x);
  const std::vector<std::int32_t> runs(design.train_run.begin(), design.train_run.end());
  f.write_all<std::int32_t>("/train/run", {runs.size()}, runs);
  f.write_attribute("/test", "ids", design.test_clips);
  if (design.carry_over_rows)
    f.write_attribute("/test", "carry_over_rows",
                      std::vector<double>{double(*design.carry_over_rows)});
}

}  // namespace b2m::io
