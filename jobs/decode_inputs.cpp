#include "jobs/decode_inputs.hpp"

#include "analysis/zscore.hpp"
#include "io/h5_matrix.hpp"
#include "mpi/agree.hpp"

namespace b2m::jobs {

using solvers::Matrix;

void for_each_chunk(const DecodeSource& source, const analysis::VoxelShare& mine,
                    const mpi::Comm& comm, std::size_t columns, const ChunkUse& use) {
  const io::H5File& f = source.responses;
  const analysis::DecodeSamples& samples = source.samples;
  const std::size_t chunks = (mine.span.size() + columns - 1) / columns;
  const std::size_t rounds = comm.allreduce(chunks, mpi::Op::max);
  auto next = mine.voxels.begin();
  std::size_t first = mine.first;
  for (std::size_t c = 0; c < rounds; ++c) {
    const mpi::Range cols =
        c < chunks ? mpi::Range{mine.span.begin + c * columns,
                                std::min(mine.span.end, mine.span.begin + (c + 1) * columns)}
                   : mpi::Range{};
    Matrix<float> y_train, y_test;
    mpi::agree_on(comm,
                  [&] { y_train = io::read_columns<float>(f, "/train/Y", source.layout.n, cols); });
    mpi::agree_on(comm,
                  [&] { y_test = io::read_columns<float>(f, "/test/Y", source.layout.m, cols); });
    mpi::agree_on(comm, [&] {
      io::check_finite(y_train, f.path() + ":/train/Y", cols);
      io::check_finite(y_test, f.path() + ":/test/Y", cols);
    });
    std::vector<Eigen::Index> keep;
    for (; next != mine.voxels.end() && *next < cols.end; ++next)
      keep.push_back(static_cast<Eigen::Index>(*next - cols.begin));
    Matrix<double> train = analysis::average_rows<float>(y_train(Eigen::all, keep), samples.train);
    Matrix<double> test = analysis::average_rows<float>(y_test(Eigen::all, keep), samples.test);
    y_train.resize(0, 0);
    y_test.resize(0, 0);
    static_cast<void>(analysis::zscore_within<double>(train, source.runs));
    static_cast<void>(analysis::zscore_within<double>(test, {{0, samples.test.size()}}));
    use(train, test, first);
    first += keep.size();
  }
}

RoiInputs read_roi_inputs(const DecodeSource& source, const analysis::VoxelShare& mine,
                          const mpi::Comm& comm) {
  RoiInputs in;
  const auto count = static_cast<Eigen::Index>(mine.voxels.size());
  in.train.resize(static_cast<Eigen::Index>(source.samples.train.size()), count);
  in.test.resize(static_cast<Eigen::Index>(source.samples.test.size()), count);
  in.model_of = mine.model_of;
  Eigen::Index filled = 0;
  for_each_chunk(source, mine, comm, kReadColumns,
                 [&](const Matrix<double>& train, const Matrix<double>& test, std::size_t) {
                   in.train.middleCols(filled, train.cols()) = train;
                   in.test.middleCols(filled, test.cols()) = test;
                   filled += train.cols();
                 });
  return in;
}

}  // namespace b2m::jobs
