#include "jobs/corpus_search.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <set>

#include "core/error.hpp"

namespace b2m::jobs {
namespace {

using solvers::Matrix;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Where the queries' stimuli sit in the corpus (by clip id) and their tags,
// on every rank, with this rank's shard's ids and tags kept (about 40 bytes
// a row) for the rows that end up in a list.
struct Stimuli {
  std::vector<long long> row;                         // per query; -1: not in the corpus
  std::vector<std::vector<double>> tags;              // [tag][query]
  std::vector<double> score;                          // per query: cosine with its stimulus
  std::vector<std::string> shard_ids;                 // this rank's rows
  std::vector<std::vector<std::int32_t>> shard_tags;  // [tag][this rank's row]
};

Stimuli locate_stimuli(const io::H5File& f, const io::CorpusLayout& corpus,
                       const analysis::Queries& q, std::size_t chunk, const mpi::Comm& comm) {
  const std::size_t n_tags = corpus.tags.size();
  analysis::StimulusFinder finder(q.clip, n_tags);
  Stimuli s;
  s.shard_tags.resize(n_tags);
  scan_corpus_shard(
      f, corpus, chunk, CorpusPart::metadata, comm,
      [&](std::size_t first, std::size_t, Matrix<float>&, std::vector<std::string>& ids,
          const std::vector<std::vector<std::int32_t>>& tags) {
        finder.scan(first, ids, tags);
        std::move(ids.begin(), ids.end(), std::back_inserter(s.shard_ids));
        for (std::size_t g = 0; g < n_tags; ++g)
          s.shard_tags[g].insert(s.shard_tags[g].end(), tags[g].begin(), tags[g].end());
      });
  // Identification needs one row per clip: with a repeated id the
  // stimulus's row, and so the score, would depend on the sharding.
  if (corpus.has_ids)
    if (const auto repeat = analysis::repeated_id(s.shard_ids, comm))
      throw InputError(f.path() + ":/ids: the id '" + *repeat +
                       "' names more than one row; retrieval and identification need one row "
                       "per clip");
  finder.combine(comm);
  s.row = finder.row();
  s.tags = finder.tags();
  return s;
}

// The cosine of each query with its stimulus's row, read by the row's owner
// (one collective read); NaN where the stimulus is not in the corpus.
void score_stimuli(const io::H5File& f, const io::CorpusLayout& corpus,
                   const Matrix<float>& query_columns, Stimuli& s, const mpi::Comm& comm) {
  const std::size_t nq = s.row.size();
  const mpi::Range mine = mpi::even_part(corpus.rows, static_cast<std::size_t>(comm.size()),
                                         static_cast<std::size_t>(comm.rank()));
  std::vector<std::size_t> owned_rows, owned_queries;
  for (std::size_t query = 0; query < nq; ++query) {
    const long long t = s.row[query];
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
  s.score.assign(nq, 0.0);
  for (std::size_t i = 0; i < owned_queries.size(); ++i)
    s.score[owned_queries[i]] = static_cast<double>(
        stimuli.col(static_cast<Eigen::Index>(i))
            .dot(query_columns.col(static_cast<Eigen::Index>(owned_queries[i]))));
  comm.allreduce_in_place(s.score.data(), nq, mpi::Op::sum);
  for (std::size_t query = 0; query < nq; ++query)
    if (s.row[query] < 0) s.score[query] = kNaN;
}

// With `exclude`: this rank's rows whose id is one of `exclude` (1), which
// no list holds; and no query's stimulus is in the corpus then.
std::vector<std::uint8_t> excluded_rows(Stimuli& s, const std::vector<std::string>& exclude) {
  std::vector<std::uint8_t> out(s.shard_ids.size(), 0);
  if (exclude.empty()) return out;
  const std::set<std::string> ids(exclude.begin(), exclude.end());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = ids.count(s.shard_ids[i]) ? 1 : 0;
  std::fill(s.row.begin(), s.row.end(), -1);
  return out;
}

}  // namespace

CorpusHits search_corpus(const io::H5File& f, const io::CorpusLayout& corpus,
                         const analysis::Queries& q, const std::vector<std::string>& exclude,
                         std::size_t k, std::size_t chunk, const mpi::Comm& comm) {
  const std::size_t nq = q.clip.size();
  Stimuli stimuli = locate_stimuli(f, corpus, q, chunk, comm);
  const std::vector<std::uint8_t> excluded = excluded_rows(stimuli, exclude);
  Matrix<float> query_columns = analysis::unit_rows(q.embeddings).transpose();  // d x queries
  score_stimuli(f, corpus, query_columns, stimuli, comm);
  // Scores, local top-k, and for identification the count of other rows at
  // least as similar as the stimulus.
  const std::size_t shard_begin =
      mpi::even_part(corpus.rows, std::size_t(comm.size()), std::size_t(comm.rank())).begin;
  analysis::CorpusScan scan(std::move(query_columns), k, stimuli.score, stimuli.row);
  scan.exclude(excluded, static_cast<std::int64_t>(shard_begin));
  scan_corpus_shard(f, corpus, chunk, CorpusPart::embeddings, comm,
                    [&](std::size_t first, std::size_t, Matrix<float>& columns,
                        std::vector<std::string>&, const std::vector<std::vector<std::int32_t>>&) {
                      scan.scan(columns, static_cast<std::int64_t>(first));
                    });
  std::vector<double> at_least = scan.at_least();
  comm.allreduce_in_place(at_least.data(), nq, mpi::Op::sum);
  CorpusHits res;
  res.id_width = comm.allreduce(io::string_width(stimuli.shard_ids), mpi::Op::max);
  res.top = analysis::merge_top_k(
      scan.top(), corpus.tags.size(),
      [&](const analysis::Candidate& c, std::string& id, std::int32_t* tags) {
        const auto row = static_cast<std::size_t>(c.index) - shard_begin;
        id = stimuli.shard_ids[row];
        for (std::size_t g = 0; g < corpus.tags.size(); ++g) tags[g] = stimuli.shard_tags[g][row];
      },
      comm);
  res.identification = analysis::corpus_identification(at_least, stimuli.row, corpus.rows);
  res.query_tags =
      analysis::query_tags(corpus.tags, corpus.tag_names, q.clip, stimuli.row, stimuli.tags);
  for (std::size_t g = 0; g < corpus.tags.size(); ++g) {
    std::vector<double> counts(corpus.tag_names[g].size(), 0.0);
    for (std::size_t i = 0; i < excluded.size(); ++i) {
      const std::int32_t t = stimuli.shard_tags[g][i];
      if (!excluded[i] && t >= 0 && static_cast<std::size_t>(t) < counts.size()) counts[t] += 1;
    }
    comm.allreduce_in_place(counts.data(), counts.size(), mpi::Op::sum);
    res.tag_counts.push_back(std::move(counts));
  }
  res.eligible =
      double(excluded.size() - std::size_t(std::count(excluded.begin(), excluded.end(), 1)));
  comm.allreduce_in_place(&res.eligible, 1, mpi::Op::sum);
  return res;
}

}  // namespace b2m::jobs
