#include "jobs/retrieve_job.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <sstream>
#include <unordered_map>

#include "analysis/retrieval.hpp"
#include "analysis/stimulus_timeline.hpp"
#include "core/error.hpp"
#include "io/output_file.hpp"
#include "jobs/study_files.hpp"
#include "jobs/subjects.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {
namespace {

using solvers::Matrix;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Corpus {
  std::size_t rows = 0, dim = 0;
  bool has_ids = false;
  std::vector<std::string> tags;                    // names of /tags/<tag>
  std::vector<std::vector<std::string>> tag_names;  // per tag: value -> name (may be empty)
};

Corpus inspect_corpus(const io::H5File& f, std::size_t k) {
  Corpus c;
  if (!f.exists("/embeddings")) throw InputError(f.path() + ": no /embeddings dataset");
  const io::Shape s = f.shape("/embeddings");
  if (s.size() != 2 || s[0] == 0 || s[1] == 0)
    throw InputError(f.path() + ":/embeddings: expected a non-empty [N, d] dataset");
  c.rows = s[0];
  c.dim = s[1];
  if (k > c.rows)
    throw InputError(f.path() + ": k = " + std::to_string(k) + " is larger than the corpus (" +
                     std::to_string(c.rows) + " clips)");
  c.has_ids = f.exists("/ids");
  if (c.has_ids && f.shape("/ids") != io::Shape{c.rows})
    throw InputError(f.path() + ":/ids must have one entry per corpus row (" +
                     std::to_string(c.rows) + ")");
  for (const std::string& tag : f.children("/tags")) {
    const std::string path = "/tags/" + tag;
    if (f.shape(path) != io::Shape{c.rows})
      throw InputError(f.path() + ":" + path + " must have one entry per corpus row (" +
                       std::to_string(c.rows) + ")");
    c.tags.push_back(tag);
    c.tag_names.push_back(f.has_attribute(path, "names") ? f.read_strings_attribute(path, "names")
                                                         : std::vector<std::string>{});
  }
  return c;
}

// The queries of one decode output: per test clip (mean of its windows) or
// per test window.
struct Queries {
  Matrix<float> embeddings;  // queries x d
  std::vector<std::string> clip;
};

Queries read_queries(const std::string& path, const Corpus& corpus, bool per_window,
                     const mpi::Comm& comm) {
  const io::H5File f(path, io::Access::read, comm);
  for (const char* set : {"/test/prediction", "/test/clip"})
    if (!f.exists(set))
      throw InputError(path + ": no " + std::string(set) + " (is it a b2m decode output?)");
  const io::Shape s = f.shape("/test/prediction");
  if (s.size() != 2) throw InputError(path + ":/test/prediction: expected [queries, d]");
  if (s[1] != corpus.dim)
    throw InputError("embedding dimensions differ: " + path + ":/test/prediction has d = " +
                     std::to_string(s[1]) + ", the corpus d = " + std::to_string(corpus.dim));
  const std::vector<double> values = f.read_all<double>("/test/prediction");
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw InputError(path + ":/test/prediction: non-finite value in query " +
                       std::to_string(i / s[1]));
  const std::vector<std::int32_t> clip = f.read_all<std::int32_t>("/test/clip");
  const std::vector<std::string> ids = f.read_strings_attribute("/", "clip_ids");
  if (clip.size() != s[0])
    throw InputError(path + ":/test/clip has " + std::to_string(clip.size()) + " rows");
  Queries q;
  std::vector<std::size_t> group(s[0]);
  std::map<std::int32_t, std::size_t> seen;
  for (std::size_t i = 0; i < s[0]; ++i) {
    if (clip[i] < 0 || static_cast<std::size_t>(clip[i]) >= ids.size())
      throw InputError(path + ":/test/clip: index " + std::to_string(clip[i]) +
                       " outside clip_ids");
    if (per_window) {
      group[i] = q.clip.size();
      q.clip.push_back(ids[static_cast<std::size_t>(clip[i])]);
      continue;
    }
    const auto [at, fresh] = seen.emplace(clip[i], q.clip.size());
    if (fresh) q.clip.push_back(ids[static_cast<std::size_t>(clip[i])]);
    group[i] = at->second;
  }
  Matrix<double> sum = Matrix<double>::Zero(static_cast<Eigen::Index>(q.clip.size()),
                                            static_cast<Eigen::Index>(s[1]));
  std::vector<double> count(q.clip.size(), 0.0);
  for (std::size_t i = 0; i < s[0]; ++i) {
    for (std::size_t j = 0; j < s[1]; ++j)
      sum(static_cast<Eigen::Index>(group[i]), static_cast<Eigen::Index>(j)) +=
          values[i * s[1] + j];
    count[group[i]] += 1;
  }
  for (std::size_t g = 0; g < count.size(); ++g) sum.row(static_cast<Eigen::Index>(g)) /= count[g];
  q.embeddings = sum.cast<float>();
  return q;
}

// A retrieved item as it travels through the merge.
struct Item {
  analysis::Candidate candidate;
  std::string id;
  std::vector<std::int32_t> tags;
};

// This rank's rows of the corpus, read in chunks; `visit(first_row, rows,
// columns, ids, tags)` is called per chunk. A pass reads either the
// embeddings (as the columns of a d x rows matrix: the row-major file layout,
// read without a copy) or the metadata (ids and tags), never both: the scoring
// pass needs no strings. Collective: every rank joins every round.
enum class Part { embeddings, metadata };

template <class Visit>
void scan_shard(const io::H5File& f, const Corpus& corpus, std::size_t chunk, Part part,
                const mpi::Comm& comm, Visit&& visit) {
  const mpi::Range mine = mpi::even_part(corpus.rows, static_cast<std::size_t>(comm.size()),
                                         static_cast<std::size_t>(comm.rank()));
  const std::size_t chunks = (mine.size() + chunk - 1) / chunk;
  const std::size_t rounds = comm.allreduce(chunks, mpi::Op::max);
  Matrix<float> columns;
  for (std::size_t r = 0; r < rounds; ++r) {
    const std::size_t first = std::min(mine.end, mine.begin + r * chunk);
    const std::size_t n = std::min(mine.end, first + chunk) - first;
    std::vector<std::string> ids;
    std::vector<std::vector<std::int32_t>> tags;
    mpi::agree_on(comm, [&] {
      if (part == Part::embeddings) {
        columns.resize(static_cast<Eigen::Index>(corpus.dim), static_cast<Eigen::Index>(n));
        f.read<float>("/embeddings", {first, 0}, {n, n ? corpus.dim : 0}, columns.data());
        return;
      }
      if (corpus.has_ids) ids = f.read_strings("/ids", {first}, {n});
      tags.assign(corpus.tags.size(), std::vector<std::int32_t>(n));
      for (std::size_t t = 0; t < corpus.tags.size(); ++t)
        f.read<std::int32_t>("/tags/" + corpus.tags[t], {first}, {n}, tags[t].data());
    });
    mpi::agree_on(comm, [&] {
      if (part == Part::embeddings)
        for (Eigen::Index i = 0; i < columns.cols(); ++i)
          if (!columns.col(i).allFinite())
            throw InputError(f.path() + ":/embeddings: non-finite value in corpus row " +
                             std::to_string(first + static_cast<std::size_t>(i)));
      if (part == Part::metadata && !corpus.has_ids)
        for (std::size_t i = 0; i < n; ++i) ids.push_back(std::to_string(first + i));
      visit(first, n, columns, ids, tags);
    });
  }
}

// The longest string's length, at least 1 (an HDF5 string width).
std::size_t longest(const std::vector<std::string>& strings) {
  std::size_t width = 1;
  for (const std::string& s : strings) width = std::max(width, s.size());
  return width;
}

struct Result {
  std::size_t id_width = 1;                           // the corpus's longest id
  std::vector<std::vector<Item>> top;                 // per query, best first
  std::vector<double> identification;                 // per query (NaN: stimulus not in the corpus)
  std::vector<std::vector<std::int32_t>> query_tags;  // [tag][query], -1 unknown
};

Result retrieve(const io::H5File& f, const Corpus& corpus, const Queries& q,
                const RetrieveOptions& o, const mpi::Comm& comm) {
  const std::size_t nq = q.clip.size();
  const std::size_t n_tags = corpus.tags.size();
  // Pass 1 (ids and tags only): where the stimuli sit in the corpus. The
  // shard's metadata is kept (about 40 bytes a row) for the rows that end up
  // in a list.
  std::unordered_map<std::string, std::vector<std::size_t>> wanted;
  for (std::size_t i = 0; i < nq; ++i) wanted[q.clip[i]].push_back(i);
  std::vector<long long> true_row(nq, -1);
  std::vector<std::vector<double>> true_tags(n_tags, std::vector<double>(nq, 0.0));
  std::vector<std::string> shard_ids;
  std::vector<std::vector<std::int32_t>> shard_tags(n_tags);
  scan_shard(f, corpus, o.chunk, Part::metadata, comm,
             [&](std::size_t first, std::size_t, Matrix<float>&, std::vector<std::string>& ids,
                 const std::vector<std::vector<std::int32_t>>& tags) {
               for (std::size_t i = 0; i < ids.size(); ++i) {
                 const auto found = wanted.find(ids[i]);
                 if (found == wanted.end()) continue;
                 for (std::size_t query : found->second)
                   if (true_row[query] < 0) {
                     true_row[query] = static_cast<long long>(first + i);
                     for (std::size_t g = 0; g < n_tags; ++g) true_tags[g][query] = tags[g][i];
                   }
               }
               std::move(ids.begin(), ids.end(), std::back_inserter(shard_ids));
               for (std::size_t g = 0; g < n_tags; ++g)
                 shard_tags[g].insert(shard_tags[g].end(), tags[g].begin(), tags[g].end());
             });
  // Ids are unique in a well-formed corpus; with duplicates every rank takes the last.
  std::vector<long long> last = true_row;
  comm.allreduce_in_place(last.data(), nq, mpi::Op::max);
  for (std::size_t query = 0; query < nq; ++query)
    if (true_row[query] != last[query])
      for (auto& t : true_tags) t[query] = 0;
  true_row = last;
  for (auto& t : true_tags) comm.allreduce_in_place(t.data(), nq, mpi::Op::sum);

  // The stimulus rows themselves, read by their owners (one collective read)
  // and scored.
  const Matrix<float> queries = analysis::unit_rows(q.embeddings);
  const Matrix<float> query_columns = queries.transpose();  // d x queries
  const mpi::Range mine = mpi::even_part(corpus.rows, static_cast<std::size_t>(comm.size()),
                                         static_cast<std::size_t>(comm.rank()));
  std::vector<std::size_t> owned_rows, owned_queries;
  for (std::size_t query = 0; query < nq; ++query) {
    const long long t = true_row[query];
    if (t >= 0 && static_cast<std::size_t>(t) >= mine.begin &&
        static_cast<std::size_t>(t) < mine.end) {
      owned_rows.push_back(static_cast<std::size_t>(t));
      owned_queries.push_back(query);
    }
  }
  Matrix<float> stimuli(static_cast<Eigen::Index>(corpus.dim),
                        static_cast<Eigen::Index>(owned_rows.size()));
  mpi::agree_on(comm, [&] { f.read_rows<float>("/embeddings", owned_rows, stimuli.data()); });
  analysis::normalize_columns(stimuli);
  std::vector<double> true_score(nq, 0.0);
  for (std::size_t i = 0; i < owned_queries.size(); ++i)
    true_score[owned_queries[i]] = static_cast<double>(
        stimuli.col(static_cast<Eigen::Index>(i))
            .dot(query_columns.col(static_cast<Eigen::Index>(owned_queries[i]))));
  comm.allreduce_in_place(true_score.data(), nq, mpi::Op::sum);
  for (std::size_t query = 0; query < nq; ++query)
    if (true_row[query] < 0) true_score[query] = kNaN;

  // Pass 2: scores, local top-k, and for identification the count of other
  // rows at least as similar as the stimulus.
  analysis::TopK top(nq, o.k);
  std::vector<double> at_least(nq, 0.0);
  Matrix<float> scores;
  scan_shard(
      f, corpus, o.chunk, Part::embeddings, comm,
      [&](std::size_t first, std::size_t n, Matrix<float>& columns, std::vector<std::string>&,
          const std::vector<std::vector<std::int32_t>>&) {
        analysis::normalize_columns(columns);
        // rows x queries, one GEMM per chunk; each query's scores are contiguous.
        scores.noalias() = columns.transpose() * query_columns;
        const auto begin = static_cast<std::int64_t>(first);
        for (std::size_t query = 0; query < nq; ++query) {
          const float* col = scores.col(static_cast<Eigen::Index>(query)).data();
          double bar = top.threshold(query);
          // NaN (stimulus not in the corpus): never counted.
          const auto bar_stimulus = static_cast<float>(true_score[query]);
          std::size_t count = 0;
          // One vectorized max per block of scores serves both the list and
          // the identification count: almost every block is below the list's
          // threshold once it has filled, and below the stimulus's own score
          // when the decoding identifies it.
          constexpr std::size_t kBlock = 64;
          for (std::size_t b0 = 0; b0 < n; b0 += kBlock) {
            const std::size_t b1 = std::min(n, b0 + kBlock);
            // Eigen's packet max (a plain loop of std::max stays scalar).
            const float top_of_block =
                Eigen::Map<const Eigen::ArrayXf>(col + b0, static_cast<Eigen::Index>(b1 - b0))
                    .maxCoeff();
            if (top_of_block >= bar)
              for (std::size_t i = b0; i < b1; ++i)
                if (col[i] >= bar) {
                  top.offer(query, col[i], begin + static_cast<std::int64_t>(i));
                  bar = top.threshold(query);
                }
            if (top_of_block >= bar_stimulus)  // branch-free, so it vectorizes
              for (std::size_t i = b0; i < b1; ++i) count += col[i] >= bar_stimulus ? 1 : 0;
          }
          const long long t = true_row[query];
          if (t >= begin && t < begin + static_cast<long long>(n) && col[t - begin] >= bar_stimulus)
            --count;
          at_least[query] += double(count);
        }
      });
  comm.allreduce_in_place(at_least.data(), nq, mpi::Op::sum);

  // Merge: every rank's lists, packed as fixed-size records, on every rank,
  // each id in full.
  Result res;
  res.id_width = comm.allreduce(longest(shard_ids), mpi::Op::max);
  const std::size_t id_width = res.id_width;
  const std::size_t record =
      sizeof(std::int64_t) * 2 + sizeof(double) + id_width + n_tags * sizeof(std::int32_t);
  std::vector<char> packed;
  for (std::size_t query = 0; query < nq; ++query)
    for (const auto& c : top.sorted(query)) {
      const auto row = static_cast<std::size_t>(c.index) - mine.begin;
      const std::string& id = shard_ids[row];
      std::vector<char> r(record, '\0');
      char* p = r.data();
      const auto qi = static_cast<std::int64_t>(query);
      std::memcpy(p, &qi, 8);
      std::memcpy(p + 8, &c.index, 8);
      std::memcpy(p + 16, &c.score, 8);
      std::memcpy(p + 24, id.data(), id.size());
      for (std::size_t g = 0; g < n_tags; ++g)
        std::memcpy(p + 24 + id_width + 4 * g, &shard_tags[g][row], 4);
      packed.insert(packed.end(), r.begin(), r.end());
    }
  const std::vector<char> all = comm.allgatherv(packed.data(), packed.size());
  std::vector<std::vector<Item>> merged(nq);
  for (std::size_t at = 0; at + record <= all.size(); at += record) {
    const char* p = all.data() + at;
    std::int64_t query = 0;
    Item item;
    std::memcpy(&query, p, 8);
    std::memcpy(&item.candidate.index, p + 8, 8);
    std::memcpy(&item.candidate.score, p + 16, 8);
    item.id.assign(p + 24, strnlen(p + 24, id_width));
    item.tags.resize(n_tags);
    for (std::size_t g = 0; g < n_tags; ++g)
      std::memcpy(&item.tags[g], p + 24 + id_width + 4 * g, 4);
    merged[static_cast<std::size_t>(query)].push_back(std::move(item));
  }
  for (auto& list : merged) {
    std::sort(list.begin(), list.end(), [](const Item& a, const Item& b) {
      return analysis::ranks_before(a.candidate, b.candidate);
    });
    list.resize(std::min(list.size(), o.k));
  }
  res.top = std::move(merged);
  for (std::size_t query = 0; query < nq; ++query)
    res.identification.push_back(true_row[query] < 0 || corpus.rows < 2
                                     ? kNaN
                                     : 1.0 - at_least[query] / double(corpus.rows - 1));
  // Query tags: the stimulus's own tags when it is in the corpus, else the
  // genre from the clip id ("<genre>.NNNNN") where a genre tag has names.
  res.query_tags.assign(n_tags, std::vector<std::int32_t>(nq, -1));
  for (std::size_t g = 0; g < n_tags; ++g)
    for (std::size_t query = 0; query < nq; ++query) {
      if (true_row[query] >= 0) {
        res.query_tags[g][query] = static_cast<std::int32_t>(true_tags[g][query]);
      } else if (corpus.tags[g] == "genre") {
        const std::string genre = analysis::clip_genre(q.clip[query]);
        const auto& names = corpus.tag_names[g];
        const auto found = std::find(names.begin(), names.end(), genre);
        if (found != names.end())
          res.query_tags[g][query] = static_cast<std::int32_t>(found - names.begin());
      }
    }
  return res;
}

std::string name_of(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".h5") == 0) name.resize(name.size() - 3);
  return name;
}

double mean_finite(const std::vector<double>& v) {
  double sum = 0;
  std::size_t n = 0;
  for (double x : v)
    if (std::isfinite(x)) {
      sum += x;
      ++n;
    }
  return n ? sum / double(n) : kNaN;
}

RetrieveSummary write_result(const std::string& name, const std::string& out_path, const Queries& q,
                             const Corpus& corpus, const Result& res, const RetrieveOptions& o,
                             const io::Provenance& provenance, const mpi::Comm& comm) {
  const std::size_t nq = q.clip.size(), k = o.k;
  RetrieveSummary s;
  s.name = name;
  s.queries = nq;
  s.corpus = corpus.rows;
  s.identification = mean_finite(res.identification);
  s.top1_genre = s.topk_genre = kNaN;
  io::OutputFile out(out_path, provenance, comm);
  io::H5File& f = out.file();
  std::vector<std::int64_t> index;
  std::vector<double> score;
  std::vector<std::string> ids;
  for (const auto& list : res.top)
    for (std::size_t j = 0; j < k; ++j) {
      const bool have = j < list.size();
      index.push_back(have ? list[j].candidate.index : -1);
      score.push_back(have ? list[j].candidate.score : kNaN);
      ids.push_back(have ? list[j].id : "");
    }
  f.write_all<std::int64_t>("/topk/index", {nq, k}, index);
  f.write_all<double>("/topk/score", {nq, k}, score);
  f.create_strings("/topk/id", {nq, k}, res.id_width);
  const bool root = comm.is_root();
  f.write_strings("/topk/id", {0, 0}, {root ? nq : 0, root ? k : 0},
                  root ? ids : std::vector<std::string>{});
  f.create_strings("/queries/clip", {nq}, longest(q.clip));
  f.write_strings("/queries/clip", {0}, {root ? nq : 0},
                  root ? q.clip : std::vector<std::string>{});
  f.write_all<double>("/queries/identification", {nq}, res.identification);
  for (std::size_t g = 0; g < corpus.tags.size(); ++g) {
    const std::string& tag = corpus.tags[g];
    std::vector<std::vector<std::int32_t>> retrieved(nq);
    std::vector<std::int32_t> flat;
    for (std::size_t query = 0; query < nq; ++query)
      for (std::size_t j = 0; j < k; ++j) {
        const std::int32_t v = j < res.top[query].size() ? res.top[query][j].tags[g] : -1;
        retrieved[query].push_back(v);
        flat.push_back(v);
      }
    f.write_all<std::int32_t>("/topk/tags/" + tag, {nq, k}, flat);
    f.write_all<std::int32_t>("/queries/tags/" + tag, {nq}, res.query_tags[g]);
    const std::vector<double> curve = analysis::agreement_curve(retrieved, res.query_tags[g]);
    f.write_all<double>("/agreement/" + tag, {k}, curve);
    f.write_attribute(
        "/agreement/" + tag, "meaning",
        std::string("mean over queries of the fraction of the top n items sharing the "
                    "query's " +
                    tag + ", n = 1..k"));
    if (tag == "genre") {
      s.top1_genre = curve.front();
      s.topk_genre = curve.back();
    }
  }
  f.write_attribute("/", "corpus_size", std::vector<double>{double(corpus.rows)});
  f.write_attribute("/", "k", std::vector<double>{double(k)});
  f.write_attribute("/", "identification_accuracy", std::vector<double>{s.identification});
  f.write_attribute("/", "top1_genre_agreement", std::vector<double>{s.top1_genre});
  f.write_attribute("/", "topk_genre_agreement", std::vector<double>{s.topk_genre});
  out.commit();
  return s;
}

RetrieveSummary read_summary(const std::string& name, const std::string& path,
                             const mpi::Comm& comm) {
  return mpi::agree_on(comm, [&] {
    const io::H5File f(path, io::Access::read, comm);
    RetrieveSummary s;
    s.name = name;
    s.queries = f.shape("/queries/identification").at(0);
    s.corpus = static_cast<std::size_t>(f.read_double_attribute("/", "corpus_size").at(0));
    s.identification = f.read_double_attribute("/", "identification_accuracy").at(0);
    s.top1_genre = f.read_double_attribute("/", "top1_genre_agreement").at(0);
    s.topk_genre = f.read_double_attribute("/", "topk_genre_agreement").at(0);
    s.reused = true;
    return s;
  });
}

}  // namespace

std::vector<RetrieveSummary> run_retrieve(const RetrieveOptions& o, const mpi::Comm& world) {
  if (o.predictions.empty())
    throw ConfigError("retrieve: give at least one decode output (--predictions)");
  if (o.corpus.empty()) throw ConfigError("retrieve: --corpus is required");
  if (o.out.empty()) throw ConfigError("retrieve: --out is required");
  if (o.k < 1) throw ConfigError("retrieve: -k must be at least 1");
  if (o.chunk < 1) throw ConfigError("retrieve: --chunk must be positive");
  if (o.predictions.size() > 1 && o.out.find("{name}") == std::string::npos)
    throw ConfigError("retrieve: with several prediction files, --out must contain {name}");
  std::vector<std::string> outs;
  for (const auto& p : o.predictions) outs.push_back(fill(o.out, "name", name_of(p)));
  mpi::agree_on(world, [&] {
    std::vector<std::string> inputs = o.predictions;
    inputs.push_back(o.corpus);
    refuse_overwriting_inputs(outs, inputs, "retrieve");
  });
  auto corpus_file = mpi::agree_on(
      world, [&] { return std::make_unique<io::H5File>(o.corpus, io::Access::read, world); });
  const Corpus corpus = mpi::agree_on(world, [&] { return inspect_corpus(*corpus_file, o.k); });
  // The corpus (the big input) is checksummed once for all prediction files.
  const std::vector<io::InputFile> corpus_sum = io::checksum_inputs({o.corpus}, world);
  std::vector<RetrieveSummary> rows;
  for (std::size_t i = 0; i < o.predictions.size(); ++i) {
    const auto start = std::chrono::steady_clock::now();
    io::Provenance provenance;
    provenance.command_line = o.command_line;
    provenance.parameters = {{"stage", "retrieve"}, {"k", o.k}, {"per_window", o.per_window}};
    provenance.inputs = io::checksum_inputs({o.predictions[i]}, world);
    provenance.inputs.push_back(corpus_sum.front());
    const io::OutputState state = io::existing_output(outs[i], provenance, world);
    if (state == io::OutputState::complete_different && !o.overwrite)
      throw ConfigError(
          outs[i] +
          " exists from a run with other parameters or inputs; remove it or pass --overwrite");
    RetrieveSummary s;
    if (state == io::OutputState::complete_same) {
      s = read_summary(name_of(o.predictions[i]), outs[i], world);
    } else {
      const Queries q = mpi::agree_on(
          world, [&] { return read_queries(o.predictions[i], corpus, o.per_window, world); });
      const Result res = retrieve(*corpus_file, corpus, q, o, world);
      s = write_result(name_of(o.predictions[i]), outs[i], q, corpus, res, o, provenance, world);
    }
    if (world.is_root()) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("retrieve: %s %s in %.1f s (%d ranks) -> %s\n", s.name.c_str(),
                  s.reused ? "already complete" : "done", seconds, world.size(), outs[i].c_str());
      std::fflush(stdout);
    }
    rows.push_back(s);
  }
  return rows;
}

std::string format_retrieve_summary(const std::vector<RetrieveSummary>& rows) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-28s %8s %10s %12s %12s %15s\n", "predictions", "queries",
                "corpus", "top1_genre", "topk_genre", "identification");
  out << line;
  for (const auto& s : rows) {
    std::snprintf(line, sizeof line, "%-28s %8zu %10zu %12.3f %12.3f %15.3f\n", s.name.c_str(),
                  s.queries, s.corpus, s.top1_genre, s.topk_genre, s.identification);
    out << line;
  }
  return out.str();
}

std::string format_retrieve_summary_tsv(const std::vector<RetrieveSummary>& rows) {
  std::ostringstream out;
  out << "predictions\tqueries\tcorpus\ttop1_genre\ttopk_genre\tidentification\n";
  for (const auto& s : rows)
    out << s.name << '\t' << s.queries << '\t' << s.corpus << '\t' << s.top1_genre << '\t'
        << s.topk_genre << '\t' << s.identification << '\n';
  return out.str();
}

}  // namespace b2m::jobs
