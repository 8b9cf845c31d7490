#include "jobs/compare_job.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>

#include "analysis/permutation_test.hpp"
#include "analysis/significance.hpp"
#include "analysis/space_comparison.hpp"
#include "analysis/summary_stats.hpp"
#include "core/error.hpp"
#include "io/encode_files.hpp"
#include "io/h5_matrix.hpp"
#include "io/output_file.hpp"
#include "io/path_template.hpp"
#include "io/responses_file.hpp"
#include "jobs/cli.hpp"
#include "jobs/subjects.hpp"
#include "mpi/agree.hpp"
#include "mpi/partition.hpp"
#include "mpi/rank_grid.hpp"

namespace b2m::jobs {
namespace {

using solvers::Matrix;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* const kTest =
    "paired bootstrap over test clips: per draw the C test clips drawn with replacement (the "
    "same draws for every voxel and subject), r_A and r_B recomputed on their rows past the "
    "carry-over rows, and a region's "
    "statistic the mean of r_A - r_B over its voxels significant for A or B; percentile "
    "interval; two-sided p = 2 (1 + #draws on the other side of 0) / (1 + draws)";

// One space's encode result of a subject, as compared.
struct Side {
  std::string path, subject, space;
  std::vector<double> r, q;
  io::TestRows rows;
};

Side read_side(const std::string& path, const std::string& stats, const mpi::Comm& comm) {
  Side s;
  s.path = path;
  const ResultRecord record = read_result_record(path, comm);
  s.subject = record.text("subject");
  s.space = record.text("space");
  const io::H5File f(path, io::Access::read, comm);
  s.rows = io::read_test_rows(f);
  s.r = f.read_all<double>("/voxels/r_test");
  if (stats.empty()) {
    s.q = analysis::fdr_q_values(f.read_all<double>("/voxels/p_test"));
    return s;
  }
  const ResultRecord from = read_result_record(stats, comm);
  if (from.stage != "stats" || from.text("subject") != s.subject || from.text("space") != s.space)
    throw InputError(stats + " is not b2m stats of " + path + " (it tests " + from.text("subject") +
                     " in " + from.text("space") + ")");
  const io::H5File g(stats, io::Access::read, comm);
  s.q = g.read_all<double>("/voxels/q");
  if (s.q.size() != s.r.size())
    throw InputError(stats + ": /voxels/q has " + std::to_string(s.q.size()) + " voxels, " + path +
                     " " + std::to_string(s.r.size()));
  return s;
}

// The regions compared: each ROI, each group, and all voxels (last);
// per ROI label the regions its voxels count in.
struct Regions {
  std::vector<std::string> names;
  std::vector<std::vector<std::uint32_t>> of_label;
  std::vector<std::int64_t> label;  // per voxel
};

Regions regions_of(const io::H5File& a, const io::H5File& b, std::size_t voxels,
                   const CompareOptions& o) {
  Regions out;
  if (a.exists("/voxels/roi") != b.exists("/voxels/roi"))
    throw InputError(a.path() + " and " + b.path() + ": only one has /voxels/roi");
  if (a.exists("/voxels/roi")) {
    const io::Atlas atlas = io::read_atlas(a, voxels);
    if (io::read_atlas(b, voxels).label != atlas.label)
      throw InputError(a.path() + " and " + b.path() +
                       " label their voxels with different ROIs: results of different voxel "
                       "sets cannot be compared");
    out.names = atlas.names;
    out.label = atlas.label;
  } else {
    out.label.assign(voxels, 0);
  }
  out.of_label.resize(out.names.empty() ? 1 : out.names.size());
  for (std::size_t l = 0; l < out.names.size(); ++l) out.of_label[l].push_back(std::uint32_t(l));
  for (const auto& [group, patterns] : o.groups) {
    const auto index = std::uint32_t(out.names.size());
    bool any = false;
    for (std::size_t l = 0; l < out.names.size(); ++l)
      for (const std::string& pattern : patterns)
        if (out.names[l].find(pattern) != std::string::npos) {
          out.of_label[l].push_back(index);
          any = true;
          break;
        }
    if (!any)
      throw InputError(a.path() + ": no ROI name contains any pattern of --roi-group " + group);
    out.names.push_back(group);
  }
  const auto all = std::uint32_t(out.names.size());
  for (auto& regions : out.of_label) regions.push_back(all);
  out.names.push_back("all");
  return out;
}

// Per region and draw (row 0: every clip once), the sums and counts of
// r_A - r_B, added block by block in block order whatever the rank count.
struct Differences {
  Matrix<double> sums, counts;
};

Differences paired_differences(const io::H5File& fa, const io::H5File& fb, const Side& a,
                               const Side& b, const Regions& regions,
                               const std::vector<std::uint8_t>& tested, std::size_t carry_over,
                               const CompareOptions& o, const mpi::Comm& comm) {
  const std::size_t clips = a.rows.clips(), m = a.rows.m, draws = o.bootstrap + 1;
  const auto n_regions = Eigen::Index(regions.names.size());
  Matrix<double> weights = Matrix<double>::Ones(Eigen::Index(draws), Eigen::Index(clips));
  for (std::size_t d = 1; d < draws; ++d) {
    const std::vector<std::uint32_t> count = analysis::clip_bootstrap(o.seed, d - 1, clips);
    for (std::size_t c = 0; c < clips; ++c) weights(Eigen::Index(d), Eigen::Index(c)) = count[c];
  }
  const mpi::Blocks blocks(a.rows.voxels, o.block_size);
  const auto rank = std::size_t(comm.rank()), ranks = std::size_t(comm.size());
  const std::vector<std::size_t> mine = blocks.owned_by(rank, ranks);
  std::vector<double> partial;  // per block of mine: sums then counts, regions x draws
  for (std::size_t round = 0; round < blocks.rounds(ranks); ++round) {
    const mpi::Range cols = round < mine.size() ? blocks.block(mine[round]) : mpi::Range{};
    io::ColMajor<float> pa, pb, ya, yb;
    mpi::agree_on(comm, [&] {
      pa = io::read_columns<float>(fa, "/test/prediction", m, cols);
      pb = io::read_columns<float>(fb, "/test/prediction", m, cols);
      ya = io::read_columns<float>(fa, "/test/observed", m, cols);
      yb = io::read_columns<float>(fb, "/test/observed", m, cols);
    });
    mpi::agree_on(comm, [&] {
      io::check_finite(pa, a.path + ":/test/prediction", cols);
      io::check_finite(pb, b.path + ":/test/prediction", cols);
      io::check_finite(ya, a.path + ":/test/observed", cols);
      if (ya != yb)
        throw InputError(a.path + " and " + b.path +
                         " were scored against different test responses (voxels " +
                         std::to_string(cols.begin) + ".." + std::to_string(cols.end) +
                         "): results of different studies or voxel sets cannot be compared");
    });
    if (cols.empty()) continue;
    const std::size_t L = a.rows.clip_rows;
    const Matrix<float> tail_a = analysis::clip_tails<float>(pa, L, carry_over),
                        tail_b = analysis::clip_tails<float>(pb, L, carry_over),
                        tail_y = analysis::clip_tails<float>(ya, L, carry_over);
    const analysis::PairedClipSums sums(solvers::ConstMatrixRef<float>(tail_a),
                                        solvers::ConstMatrixRef<float>(tail_b),
                                        solvers::ConstMatrixRef<float>(tail_y), L - carry_over);
    Matrix<double> r_a, r_b;
    sums.correlations(weights, r_a, r_b);
    std::vector<std::vector<std::uint32_t>> counted(cols.size());
    for (std::size_t j = 0; j < cols.size(); ++j)
      if (tested[cols.begin + j])
        counted[j] = regions.of_label[std::size_t(regions.label[cols.begin + j])];
    Differences block{Matrix<double>::Zero(n_regions, Eigen::Index(draws)),
                      Matrix<double>::Zero(n_regions, Eigen::Index(draws))};
    analysis::add_region_differences(r_a, r_b, counted, block.sums, block.counts);
    partial.insert(partial.end(), block.sums.data(), block.sums.data() + block.sums.size());
    partial.insert(partial.end(), block.counts.data(), block.counts.data() + block.counts.size());
  }
  // Every rank's blocks, in rank order, then added in block order.
  std::vector<std::size_t> sizes;
  const std::vector<double> all = comm.allgatherv(partial.data(), partial.size(), &sizes);
  const std::size_t per_block = 2 * std::size_t(n_regions) * draws;
  std::vector<const double*> by_block(blocks.count(), nullptr);
  std::size_t at = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    std::size_t k = 0;
    for (std::size_t b : blocks.owned_by(r, ranks)) by_block[b] = all.data() + at + per_block * k++;
    at += sizes[r];
  }
  Differences total{Matrix<double>::Zero(n_regions, Eigen::Index(draws)),
                    Matrix<double>::Zero(n_regions, Eigen::Index(draws))};
  const auto half = Eigen::Index(per_block / 2);
  for (const double* block : by_block) {
    total.sums += Eigen::Map<const Matrix<double>>(block, n_regions, Eigen::Index(draws));
    total.counts += Eigen::Map<const Matrix<double>>(block + half, n_regions, Eigen::Index(draws));
  }
  return total;
}

// The overlap of masks a and b per region.
std::vector<analysis::Overlap> region_overlap(const std::vector<std::uint8_t>& a,
                                              const std::vector<std::uint8_t>& b,
                                              const Regions& regions) {
  std::vector<analysis::Overlap> out(regions.names.size());
  for (std::uint32_t region = 0; region < regions.names.size(); ++region) {
    std::vector<std::int32_t> in(a.size(), -1);
    for (std::size_t v = 0; v < a.size(); ++v) {
      const auto& of = regions.of_label[std::size_t(regions.label[v])];
      if (std::find(of.begin(), of.end(), region) != of.end()) in[v] = 0;
    }
    out[region] = analysis::overlap_by_label(a, b, in, 1).front();
  }
  return out;
}

void write_overlap(io::H5File& f, const std::string& name,
                   const std::vector<analysis::Overlap>& overlap) {
  std::vector<double> counts, dice;
  for (const analysis::Overlap& o : overlap) {
    counts.insert(counts.end(), {double(o.a), double(o.b), double(o.both)});
    dice.push_back(o.dice);
  }
  f.write_all<double>("/regions/" + name + "_counts", {overlap.size(), 3}, counts);
  f.write_all<double>("/regions/" + name + "_dice", {overlap.size()}, dice);
}

nlohmann::json compare_unit(UnitRun& run, const CompareOptions& o) {
  const mpi::Comm& comm = run.comm();
  const std::vector<std::string>& in = run.unit().inputs;
  const bool stats = in.size() == 4;  // the results' b2m stats outputs given
  const Side a = mpi::agree_on(comm, [&] { return read_side(in[0], stats ? in[2] : "", comm); });
  const Side b = mpi::agree_on(comm, [&] { return read_side(in[1], stats ? in[3] : "", comm); });
  auto fa = mpi::agree_on(
      comm, [&] { return std::make_unique<io::H5File>(a.path, io::Access::read, comm); });
  auto fb = mpi::agree_on(
      comm, [&] { return std::make_unique<io::H5File>(b.path, io::Access::read, comm); });
  const Regions regions = mpi::agree_on(comm, [&] {
    if (a.subject != b.subject)
      throw InputError(a.path + " is of subject '" + a.subject + "', " + b.path + " of '" +
                       b.subject + "': compare pairs results of the same subject");
    if (a.rows.m != b.rows.m || a.rows.voxels != b.rows.voxels ||
        a.rows.clip_rows != b.rows.clip_rows)
      throw InputError(a.path + " (" + std::to_string(a.rows.m) + " test rows x " +
                       std::to_string(a.rows.voxels) + " voxels) and " + b.path + " (" +
                       std::to_string(b.rows.m) + " x " + std::to_string(b.rows.voxels) +
                       ") differ: results of different voxel sets cannot be compared");
    return regions_of(*fa, *fb, a.rows.voxels, o);
  });
  // The clips are resampled as independent units: each clip's rows past
  // those its predictions carry over from the clips before (as b2m stats).
  const std::size_t carry_over = mpi::agree_on(comm, [&] {
    return std::max(io::tested_carry_over(a.rows, o.carry_over_rows, a.path),
                    io::tested_carry_over(b.rows, o.carry_over_rows, b.path));
  });
  const std::vector<std::uint8_t> qa = analysis::threshold_mask(a.q, o.q, true),
                                  qb = analysis::threshold_mask(b.q, o.q, true);
  const std::vector<std::uint8_t> ra = analysis::threshold_mask(a.r, o.r_threshold, false),
                                  rb = analysis::threshold_mask(b.r, o.r_threshold, false);
  std::vector<std::uint8_t> tested(qa.size());
  for (std::size_t v = 0; v < tested.size(); ++v) tested[v] = qa[v] | qb[v];
  const Differences diff = paired_differences(*fa, *fb, a, b, regions, tested, carry_over, o, comm);

  io::OutputFile out = run.open();
  io::H5File& f = out.file();
  const std::size_t n = regions.names.size(), draws = o.bootstrap;
  const io::Shape per_voxel{a.rows.voxels};
  f.write_all<double>("/voxels/r_a", per_voxel, a.r);
  f.write_all<double>("/voxels/r_b", per_voxel, b.r);
  f.write_all<std::uint8_t>("/voxels/significant_a", per_voxel, qa);
  f.write_all<std::uint8_t>("/voxels/significant_b", per_voxel, qb);
  const std::vector<analysis::Overlap> overlap_q = region_overlap(qa, qb, regions);
  write_overlap(f, "q", overlap_q);
  write_overlap(f, "r", region_overlap(ra, rb, regions));
  std::vector<double> tested_count(n), observed(n), low(n), high(n), p(n), table(n * draws);
  for (std::size_t g = 0; g < n; ++g) {
    const auto row = Eigen::Index(g);
    tested_count[g] = diff.counts(row, 0);
    observed[g] = tested_count[g] > 0 ? diff.sums(row, 0) / tested_count[g] : kNaN;
    std::vector<double> values(draws);
    for (std::size_t d = 0; d < draws; ++d) {
      const double c = diff.counts(row, Eigen::Index(d + 1));
      values[d] = c > 0 ? diff.sums(row, Eigen::Index(d + 1)) / c : kNaN;
    }
    std::copy(values.begin(), values.end(), table.begin() + std::ptrdiff_t(g * draws));
    const analysis::PairedDifference s =
        analysis::summarize_bootstrap(observed[g], values, o.level);
    low[g] = tested_count[g] > 0 ? s.low : kNaN;
    high[g] = tested_count[g] > 0 ? s.high : kNaN;
    p[g] = tested_count[g] > 0 ? s.p : kNaN;
  }
  f.write_all<double>("/regions/tested", {n}, tested_count);
  f.write_all<double>("/regions/difference", {n}, observed);
  f.write_all<double>("/regions/difference_low", {n}, low);
  f.write_all<double>("/regions/difference_high", {n}, high);
  f.write_all<double>("/regions/p", {n}, p);
  f.write_all<double>("/regions/draws", {n, draws}, table);
  f.write_attribute("/regions", "names", regions.names);
  const Matrix<double> density = analysis::density_2d(a.r, b.r, o.bins, -1.0, 1.0);
  std::vector<double> cells(density.size());
  Eigen::Map<solvers::RowMajorMatrix<double>>(cells.data(), density.rows(), density.cols()) =
      density;
  f.write_all<double>("/density/counts", {o.bins, o.bins}, cells);
  f.write_attribute("/density", "range", std::vector<double>{-1.0, 1.0});
  f.write_attribute("/", "test", std::string(kTest));
  f.write_attribute("/", "subject", a.subject);
  f.write_attribute("/regions", "carry_over_rows", std::vector<double>{double(carry_over)});
  f.write_attribute("/", "space_a", a.space);
  f.write_attribute("/", "space_b", b.space);
  f.write_attribute("/", "significance",
                    std::string(stats ? "q: b2m stats (permutation)"
                                      : "q: Benjamini-Hochberg over "
                                        "encode's analytic p_test"));
  io::copy_voxel_geometry(*fa, f);
  const std::size_t all = n - 1;
  const nlohmann::json row = {{"subject", a.subject},
                              {"space_a", a.space},
                              {"space_b", b.space},
                              {"voxels", a.rows.voxels},
                              {"both_q", overlap_q[all].both},
                              {"dice_q", io::number(overlap_q[all].dice)},
                              {"tested", std::size_t(tested_count[all])},
                              {"difference", io::number(observed[all])},
                              {"p", io::number(p[all])}};
  run.commit(out, row);
  return row;
}

// One subject's regions, read back from its output.
struct SubjectRegions {
  std::string subject, space_a, space_b;
  std::vector<std::string> names;
  std::vector<double> counts_q, dice_q, counts_r, dice_r, tested, difference, low, high, p;
  std::vector<std::vector<double>> draws;
};

SubjectRegions read_regions(const std::string& path, const mpi::Comm& self) {
  const io::H5File f(path, io::Access::read, self);
  SubjectRegions s;
  s.subject = f.read_string_attribute("/", "subject");
  s.space_a = f.read_string_attribute("/", "space_a");
  s.space_b = f.read_string_attribute("/", "space_b");
  s.names = f.read_strings_attribute("/regions", "names");
  const std::pair<const char*, std::vector<double>*> sets[] = {
      {"q_counts", &s.counts_q},  {"q_dice", &s.dice_q},        {"r_counts", &s.counts_r},
      {"r_dice", &s.dice_r},      {"tested", &s.tested},        {"difference", &s.difference},
      {"difference_low", &s.low}, {"difference_high", &s.high}, {"p", &s.p}};
  for (const auto& [name, values] : sets)
    *values = f.read_all<double>("/regions/" + std::string(name));
  const std::vector<double> table = f.read_all<double>("/regions/draws");
  const std::size_t draws = table.size() / std::max<std::size_t>(1, s.names.size());
  for (std::size_t g = 0; g < s.names.size(); ++g)
    s.draws.emplace_back(table.begin() + std::ptrdiff_t(g * draws),
                         table.begin() + std::ptrdiff_t((g + 1) * draws));
  return s;
}

// The per-region table of the outputs, per subject and across subjects
// (rows with subject "all", per pair of spaces), on rank 0 of `world`.
void write_roi_summary(const std::vector<Unit>& units, const CompareOptions& o,
                       const mpi::Comm& world) {
  io::SummaryTable table({io::text("subject"), io::text("space_a"), io::text("space_b"),
                          io::text("region"), io::count("subjects"), io::count("a_q"),
                          io::count("b_q"), io::count("both_q"), io::mean_sd("dice_q"),
                          io::count("both_r"), io::mean_sd("dice_r"), io::count("tested"),
                          io::real("difference", "%.4f"), io::real("low", "%.4f"),
                          io::real("high", "%.4f"), io::real("p", "%.3g")});
  const auto pair = [](std::pair<double, double> v) {
    return nlohmann::json::array({io::number(v.first), io::number(v.second)});
  };
  mpi::agree_on(world, [&] {
    if (!world.is_root()) return;
    // Per pair of spaces, per region name: the subjects' rows.
    std::vector<std::pair<std::string, std::string>> pairs;
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> region_order;
    std::map<std::pair<std::string, std::string>,
             std::map<std::string, std::vector<std::pair<const SubjectRegions*, std::size_t>>>>
        members;
    std::vector<SubjectRegions> subjects;
    subjects.reserve(units.size());
    const mpi::Comm self = mpi::Comm::self();
    for (const Unit& u : units) subjects.push_back(read_regions(u.outputs.front(), self));
    for (const SubjectRegions& s : subjects) {
      const auto key = std::pair(s.space_a, s.space_b);
      if (members.find(key) == members.end()) pairs.push_back(key);
      for (std::size_t g = 0; g < s.names.size(); ++g) {
        auto& rows = members[key][s.names[g]];
        if (rows.empty()) region_order[key].push_back(s.names[g]);
        rows.emplace_back(&s, g);
        table.add({{"subject", s.subject},
                   {"space_a", s.space_a},
                   {"space_b", s.space_b},
                   {"region", s.names[g]},
                   {"subjects", 1},
                   {"a_q", std::size_t(s.counts_q[3 * g])},
                   {"b_q", std::size_t(s.counts_q[3 * g + 1])},
                   {"both_q", std::size_t(s.counts_q[3 * g + 2])},
                   {"dice_q", pair({s.dice_q[g], 0.0})},
                   {"both_r", std::size_t(s.counts_r[3 * g + 2])},
                   {"dice_r", pair({s.dice_r[g], 0.0})},
                   {"tested", std::size_t(s.tested[g])},
                   {"difference", io::number(s.difference[g])},
                   {"low", io::number(s.low[g])},
                   {"high", io::number(s.high[g])},
                   {"p", io::number(s.p[g])}});
      }
    }
    for (const auto& key : pairs)
      for (const std::string& region : region_order[key]) {
        std::size_t a = 0, b = 0, both = 0, both_r = 0, tested = 0;
        std::vector<double> dice_q, dice_r, observed;
        std::vector<std::vector<double>> draws;
        for (const auto& [s, g] : members[key][region]) {
          a += std::size_t(s->counts_q[3 * g]);
          b += std::size_t(s->counts_q[3 * g + 1]);
          both += std::size_t(s->counts_q[3 * g + 2]);
          both_r += std::size_t(s->counts_r[3 * g + 2]);
          tested += std::size_t(s->tested[g]);
          if (std::isfinite(s->dice_q[g])) dice_q.push_back(s->dice_q[g]);
          if (std::isfinite(s->dice_r[g])) dice_r.push_back(s->dice_r[g]);
          if (s->tested[g] > 0) {  // (a subject without tested voxels has no difference)
            observed.push_back(s->difference[g]);
            draws.push_back(s->draws[g]);
          }
        }
        std::optional<analysis::PairedDifference> d;
        if (!observed.empty()) d = analysis::across_subjects(observed, draws, o.level);
        table.add({{"subject", "all"},
                   {"space_a", key.first},
                   {"space_b", key.second},
                   {"region", region},
                   {"subjects", observed.size()},
                   {"a_q", a},
                   {"b_q", b},
                   {"both_q", both},
                   {"dice_q", pair(analysis::mean_sd(dice_q))},
                   {"both_r", both_r},
                   {"dice_r", pair(analysis::mean_sd(dice_r))},
                   {"tested", tested},
                   {"difference", io::number(d ? d->observed : kNaN)},
                   {"low", io::number(d ? d->low : kNaN)},
                   {"high", io::number(d ? d->high : kNaN)},
                   {"p", io::number(d ? d->p : kNaN)}});
      }
    io::write_summary(table, o.roi_summary);
  });
}

std::optional<CompareOptions> parse(const cli::Arguments& args) {
  cli::Parser p("compare", "Two feature spaces' encoding models of the same voxels compared");
  p.add()("results-a", "encode results of space A (made with --save-predictions), one per subject",
          cxxopts::value<std::vector<std::string>>())(
      "pair", "A:B, spaces compared over the --results template (repeatable)",
      cxxopts::value<std::vector<std::string>>())(
      "pairs", "a built-in set of pairs over the --results template: paper",
      cxxopts::value<std::string>())(
      "results", "with --pair/--pairs: the encode results, a path with {subject} and {space}",
      cxxopts::value<std::string>())(
      "stats", "with --pair/--pairs: their b2m stats outputs, a path with {subject} and {space}",
      cxxopts::value<std::string>())(
      "subjects",
      "with --pair/--pairs: the subjects (default: every one with a result of the "
      "first pair's space A)",
      cxxopts::value<std::vector<std::string>>())(
      "results-b", "encode results of space B, in the same subject order",
      cxxopts::value<std::vector<std::string>>())(
      "stats-a", "b2m stats outputs of the A results (their q), in the same order",
      cxxopts::value<std::vector<std::string>>())("stats-b", "b2m stats outputs of the B results",
                                                  cxxopts::value<std::vector<std::string>>())(
      "roi-group",
      "NAME=PATTERN[,PATTERN...]: the ROIs whose names contain a pattern, as one region",
      cxxopts::value<std::vector<std::string>>())("q", "significance: q below this",
                                                  cxxopts::value<double>()->default_value("0.05"))(
      "r-threshold", "the overlap's second criterion: test r above this (the paper's 0.4)",
      cxxopts::value<double>()->default_value("0.4"))(
      "bootstrap", "bootstrap draws of the test clips",
      cxxopts::value<std::size_t>()->default_value("1000"))(
      "seed", "seed of the draws", cxxopts::value<std::uint64_t>()->default_value("0"))(
      "level", "the bootstrap interval's level", cxxopts::value<double>()->default_value("0.95"))(
      "bins", "bins per axis of the (r_A, r_B) density over [-1, 1)",
      cxxopts::value<std::size_t>()->default_value("100"))(
      "block-size", "voxels read at once", cxxopts::value<std::size_t>()->default_value("4096"))(

      "roi-summary", "per-region table (TSV, or JSON for *.json): per subject and across subjects",
      cxxopts::value<std::string>());
  p.carry_over();
  p.outputs(
      "output file; with several subjects it must contain {subject}, with several pairs "
      "{space_a} and {space_b}");
  const auto r = p.parse(args);
  if (!r) return std::nullopt;
  CompareOptions o;
  for (const std::string& pair : p.optional<std::vector<std::string>>(*r, "pair", {})) {
    const std::size_t colon = pair.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == pair.size() ||
        pair.find(':', colon + 1) != std::string::npos)
      throw ConfigError("compare: --pair wants A:B (two space names), got '" + pair + "'");
    o.pairs.emplace_back(pair.substr(0, colon), pair.substr(colon + 1));
  }
  if (r->count("pairs")) {
    if ((*r)["pairs"].as<std::string>() != "paper")
      throw ConfigError("compare: --pairs knows the set 'paper', not '" +
                        (*r)["pairs"].as<std::string>() + "'");
    for (const auto& pair : paper_pairs())
      if (std::find(o.pairs.begin(), o.pairs.end(), pair) == o.pairs.end()) o.pairs.push_back(pair);
  }
  if (!o.pairs.empty()) {
    if (r->count("results-a") || r->count("results-b") || r->count("stats-a") ||
        r->count("stats-b"))
      throw ConfigError(
          "compare: --pair/--pairs take --results (and --stats) templates, not "
          "--results-a/--results-b/--stats-a/--stats-b");
    o.results_template = p.required<std::string>(*r, "results");
    o.stats_template = p.optional<std::string>(*r, "stats", "");
    for (const std::string& t : {o.results_template, o.stats_template})
      if (!t.empty() &&
          (t.find("{subject}") == std::string::npos || t.find("{space}") == std::string::npos))
        throw ConfigError("compare: '" + t + "' (--results, --stats) lacks {subject} or {space}");
    o.subjects = p.optional<std::vector<std::string>>(*r, "subjects", {});
  } else {
    if (r->count("results") || r->count("stats") || r->count("subjects"))
      throw ConfigError("compare: --results, --stats and --subjects go with --pair or --pairs");
    o.a = p.required<std::vector<std::string>>(*r, "results-a");
    o.b = p.required<std::vector<std::string>>(*r, "results-b");
  }
  if (o.a.size() != o.b.size())
    throw ConfigError("compare: " + std::to_string(o.a.size()) + " --results-a and " +
                      std::to_string(o.b.size()) +
                      " --results-b files: give one of each per subject");
  o.a_stats = p.optional<std::vector<std::string>>(*r, "stats-a", {});
  o.b_stats = p.optional<std::vector<std::string>>(*r, "stats-b", {});
  if (o.a_stats.size() != o.b_stats.size() ||
      (!o.a_stats.empty() && o.a_stats.size() != o.a.size()))
    throw ConfigError("compare: --stats-a and --stats-b go together, one per --results-a file");
  // cxxopts splits a value at its commas: a piece without "=" is one more
  // pattern of the group before it.
  for (const std::string& g : p.optional<std::vector<std::string>>(*r, "roi-group", {})) {
    const std::size_t eq = g.find('=');
    if (eq == std::string::npos && !o.groups.empty() && !g.empty()) {
      o.groups.back().second.push_back(g);
      continue;
    }
    if (eq == std::string::npos || eq == 0 || eq + 1 == g.size())
      throw ConfigError("compare: --roi-group wants NAME=PATTERN[,PATTERN...], got '" + g + "'");
    o.groups.emplace_back(g.substr(0, eq), std::vector<std::string>{g.substr(eq + 1)});
  }
  o.q = (*r)["q"].as<double>();
  o.r_threshold = (*r)["r-threshold"].as<double>();
  o.bootstrap = (*r)["bootstrap"].as<std::size_t>();
  o.seed = (*r)["seed"].as<std::uint64_t>();
  o.level = (*r)["level"].as<double>();
  o.bins = (*r)["bins"].as<std::size_t>();
  o.block_size = (*r)["block-size"].as<std::size_t>();
  o.carry_over_rows = p.carry_over(*r);
  o.roi_summary = p.optional<std::string>(*r, "roi-summary", "");
  o.output = p.outputs(*r, args);
  if (!(o.q > 0 && o.q < 1)) throw ConfigError("compare: --q must lie in (0, 1)");
  if (!(o.level > 0 && o.level < 1)) throw ConfigError("compare: --level must lie in (0, 1)");
  // The two-sided bootstrap p is at least 2 / (B + 1).
  if (2.0 / double(o.bootstrap + 1) >= 0.05)
    throw ConfigError("compare: " + std::to_string(o.bootstrap) +
                      " bootstrap draws cannot give p < 0.05 (the smallest is 2 / (B + 1)); use "
                      "at least 40 (1,000 or more for stable intervals)");
  if (o.bins < 1 || o.block_size < 1)
    throw ConfigError("compare: --bins and --block-size must be positive");
  return o;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> paper_pairs() {
  std::vector<std::pair<std::string, std::string>> out = {{"mulan_music", "mulan_text"},
                                                          {"mulan_music", "w2v_bert"}};
  for (const char* control : {"genre", "modulation"})
    for (const char* music : {"mulan_music", "w2v_bert", "soundstream"})
      out.emplace_back(music, control);
  return out;
}

namespace {

// The units of --pair/--pairs: per pair, per subject, the results (and
// stats outputs) the templates name.
std::vector<Unit> pair_units(const CompareOptions& o, const mpi::Comm& world) {
  const auto path = [](std::string t, const std::string& subject, const std::string& space) {
    return fill(fill(std::move(t), "subject", subject), "space", space);
  };
  const std::vector<std::string> subjects = mpi::agree_on(world, [&] {
    if (!o.subjects.empty()) return o.subjects;
    const std::string first = fill(o.results_template, "space", o.pairs.front().first);
    std::vector<std::string> found = io::placeholder_values(first, "subject", "*");
    if (found.empty())
      throw InputError("compare: no file matches " + first + " (--results with {subject} = *)");
    return found;
  });
  const std::string& out = o.output.out;
  if (subjects.size() > 1 && out.find("{subject}") == std::string::npos)
    throw ConfigError("compare: with several subjects --out must contain {subject}");
  if (o.pairs.size() > 1 &&
      (out.find("{space_a}") == std::string::npos || out.find("{space_b}") == std::string::npos))
    throw ConfigError("compare: with several pairs --out must contain {space_a} and {space_b}");
  std::vector<Unit> units;
  for (const auto& [a, b] : o.pairs)
    for (const std::string& subject : subjects) {
      const std::string name = o.pairs.size() > 1 ? subject + " " + a + " vs " + b : subject;
      Unit u{name,
             {fill(fill(fill(out, "subject", subject), "space_a", a), "space_b", b)},
             {path(o.results_template, subject, a), path(o.results_template, subject, b)}};
      if (!o.stats_template.empty())
        u.inputs.insert(u.inputs.end(),
                        {path(o.stats_template, subject, a), path(o.stats_template, subject, b)});
      units.push_back(std::move(u));
    }
  return units;
}

}  // namespace

io::SummaryTable run_compare(const CompareOptions& o, const mpi::Comm& world) {
  std::vector<Unit> units;
  if (!o.pairs.empty()) units = pair_units(o, world);
  for (const Unit& u : units)
    for (const std::string& path : u.inputs)
      mpi::agree_on(world, [&] { io::check_input_complete(path, world); });
  for (std::size_t i = 0; i < o.a.size(); ++i) {
    for (const std::string& path : {o.a[i], o.b[i]})
      mpi::agree_on(world, [&] { io::check_input_complete(path, world); });
    const ResultRecord record =
        mpi::agree_on(world, [&] { return read_result_record(o.a[i], world); });
    const std::string subject =
        record.text("subject").empty() ? file_stem(o.a[i]) : record.text("subject");
    if (o.a.size() > 1 && o.output.out.find("{subject}") == std::string::npos)
      throw ConfigError("compare: with several subjects --out must contain {subject}");
    Unit u{subject, {fill(o.output.out, "subject", subject)}, {o.a[i], o.b[i]}};
    if (!o.a_stats.empty()) u.inputs.insert(u.inputs.end(), {o.a_stats[i], o.b_stats[i]});
    units.push_back(std::move(u));
  }
  nlohmann::json parameters = {{"q", o.q},
                               {"r_threshold", o.r_threshold},
                               {"bootstrap", o.bootstrap},
                               {"seed", o.seed},
                               {"level", o.level},
                               {"bins", o.bins}};
  parameters["carry_over_rows"] = cli::carry_over_parameter(o.carry_over_rows);
  Stage stage("compare",
              {io::text("subject"), io::text("space_a"), io::text("space_b"), io::count("voxels"),
               io::count("both_q"), io::real("dice_q"), io::count("tested"),
               io::real("difference", "%.4f"), io::real("p", "%.3g")},
              o.output, parameters);
  const io::SummaryTable table =
      stage.run(units, mpi::group_count(units.size(), std::size_t(world.size())), world,
                [&](UnitRun& run) { return compare_unit(run, o); });
  if (!o.roi_summary.empty()) write_roi_summary(units, o, world);
  return table;
}

int compare_command(const cli::Arguments& args, const mpi::Comm& world) {
  return cli::run_verb<CompareOptions>(args, world, parse, run_compare);
}

void compare_check(const cli::Arguments& args) {
  static_cast<void>(parse(args));
}

}  // namespace b2m::jobs
