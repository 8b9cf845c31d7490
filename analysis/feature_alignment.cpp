#include "analysis/feature_alignment.hpp"

#include <algorithm>

#include "analysis/zscore.hpp"
#include "core/error.hpp"
#include "mpi/agree.hpp"

namespace b2m::analysis {

solvers::Matrix<double> tr_features(const ClipEmbeddings& clips, const RunTimeline& timeline,
                                    double tr) {
  solvers::Matrix<double> out = solvers::Matrix<double>::Zero(
      static_cast<Eigen::Index>(timeline.trs()), static_cast<Eigen::Index>(clips.dim));
  for (std::size_t t = 0; t < timeline.trs(); ++t) {
    if (timeline.clip[t] < 0) continue;
    const double lo = timeline.clip_time[t];
    const double hi = lo + tr;
    int used = 0;
    for (std::size_t w = 0; w < clips.windows; ++w) {
      const double start = static_cast<double>(w) * clips.step_s;
      if (start >= hi - 1e-9 || start + clips.window_s <= lo + 1e-9) continue;
      const float* e = clips.window(static_cast<std::size_t>(timeline.clip[t]), w);
      for (std::size_t j = 0; j < clips.dim; ++j)
        out(static_cast<Eigen::Index>(t), static_cast<Eigen::Index>(j)) += e[j];
      ++used;
    }
    if (used > 0) out.row(static_cast<Eigen::Index>(t)) /= used;
  }
  return out;
}

solvers::Matrix<double> apply_delays(const solvers::Matrix<double>& features,
                                     const std::vector<int>& delays) {
  const Eigen::Index n = features.rows();
  const Eigen::Index dim = features.cols();
  solvers::Matrix<double> out =
      solvers::Matrix<double>::Zero(n, dim * static_cast<Eigen::Index>(delays.size()));
  for (std::size_t d = 0; d < delays.size(); ++d) {
    const Eigen::Index shift = delays[d];
    if (shift < 0) throw ConfigError("delays must be >= 0, got " + std::to_string(shift));
    // A delay as long as the run would leave its columns all zero.
    if (shift >= n)
      throw ConfigError("--delays: a delay of " + std::to_string(shift) +
                        " TRs is not shorter than a run of " + std::to_string(n) + " TRs");
    out.block(shift, static_cast<Eigen::Index>(d) * dim, n - shift, dim) =
        features.topRows(n - shift);
  }
  return out;
}

namespace {

// Per run: TR features, z-scored within the run, then delayed.
std::vector<solvers::Matrix<double>> delayed_runs(const ClipEmbeddings& clips,
                                                  const std::vector<io::RunEvents>& runs, double tr,
                                                  const std::vector<int>& delays) {
  const auto index = clips.index();
  std::vector<solvers::Matrix<double>> out;
  for (const auto& run : runs) {
    solvers::Matrix<double> f = tr_features(clips, run_timeline(run, tr, index, clips.source), tr);
    zscore_within<double>(f, {mpi::Range{0, static_cast<std::size_t>(f.rows())}});
    out.push_back(apply_delays(f, delays));
  }
  return out;
}

}  // namespace

Design build_design(const ClipEmbeddings& clips, const std::vector<io::RunEvents>& train_runs,
                    const std::vector<io::RunEvents>& test_runs, double tr,
                    const std::vector<int>& delays) {
  if (delays.empty()) throw ConfigError("at least one delay is needed");
  Design design;
  const auto p = static_cast<Eigen::Index>(clips.dim * delays.size());
  const auto train = delayed_runs(clips, train_runs, tr, delays);
  Eigen::Index rows = 0;
  for (const auto& m : train) rows += m.rows();
  design.train_x.resize(rows, p);
  rows = 0;
  for (std::size_t r = 0; r < train.size(); ++r) {
    design.train_x.middleRows(rows, train[r].rows()) = train[r];
    design.train_run.insert(design.train_run.end(), static_cast<std::size_t>(train[r].rows()),
                            train_runs[r].run);
    rows += train[r].rows();
  }
  const TestLayout layout = test_layout(test_runs, tr);
  const auto test = delayed_runs(clips, test_runs, tr, delays);
  design.test_clips = layout.clip_ids;
  design.carry_over_rows = std::size_t(*std::max_element(delays.begin(), delays.end()));
  design.test_x = solvers::Matrix<double>::Zero(static_cast<Eigen::Index>(layout.rows()), p);
  for (std::size_t c = 0; c < layout.clip_ids.size(); ++c)
    for (const auto& shown : layout.presentations[c])
      design.test_x.middleRows(static_cast<Eigen::Index>(c * layout.trs_per_clip),
                               static_cast<Eigen::Index>(layout.trs_per_clip)) +=
          test[shown.run].middleRows(static_cast<Eigen::Index>(shown.first_tr),
                                     static_cast<Eigen::Index>(layout.trs_per_clip)) /
          static_cast<double>(layout.repetitions);
  return design;
}

Design align_design(const DesignSource& source, const mpi::Comm& comm) {
  return mpi::agree_on(comm, [&] {
    const io::H5File file(source.features, io::Access::read, comm);
    return build_design(io::read_clip_embeddings(file, source.space),
                        io::read_task_events(source.events_dir, "Training"),
                        io::read_task_events(source.events_dir, "Test"), source.tr, source.delays);
  });
}

}  // namespace b2m::analysis
