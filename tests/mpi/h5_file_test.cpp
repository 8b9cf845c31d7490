#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/encode_files.hpp"
#include "io/h5_error.hpp"
#include "io/h5_file.hpp"
#include "mpi/partition.hpp"
#include "tests/support/mpi_assert.hpp"
#include "tests/support/temp_dir.hpp"

namespace b2m::io {
namespace {

TEST(H5File, EachRankWritesItsColumnsAndEveryoneReadsThemBack) {
  const mpi::Comm world = mpi::Comm::world();
  const testing::TempDir dir(world);
  const std::string path = dir.file("slab.h5");
  const std::size_t rows = 5, cols = 11;
  {
    H5File f(path, Access::create, world);
    f.create<float>("/train/Y", {rows, cols});
    const mpi::Range mine = mpi::even_part(cols, static_cast<std::size_t>(world.size()),
                                           static_cast<std::size_t>(world.rank()));
    std::vector<float> data;
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = mine.begin; j < mine.end; ++j) data.push_back(float(100 * i + j));
    f.write<float>("/train/Y", {0, mine.begin}, {mine.empty() ? 0 : rows, mine.size()},
                   data.data());
    f.write_attribute("/train", "names", std::vector<std::string>{"a", "longer name"});
    f.write_attribute("/train/Y", "alphas", std::vector<double>{1.5, 2.5});
    f.write_attribute("/", "note", std::string("hello"));
  }
  const H5File f(path, Access::read, world);
  const auto all = f.read_all<double>("/train/Y");
  B2M_ASSERT_ALL(world, all.size() == rows * cols);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) EXPECT_EQ(all[i * cols + j], double(100 * i + j));
  EXPECT_EQ(f.shape("/train/Y"), (Shape{rows, cols}));
  EXPECT_EQ(f.read_strings_attribute("/train", "names"),
            (std::vector<std::string>{"a", "longer name"}));
  EXPECT_EQ(f.read_double_attribute("/train/Y", "alphas"), (std::vector<double>{1.5, 2.5}));
  EXPECT_EQ(f.read_string_attribute("/", "note"), "hello");
  EXPECT_TRUE(f.exists("/train/Y"));
  EXPECT_FALSE(f.exists("/test/Y"));
  std::vector<float> slab(2 * 3);
  f.read<float>("/train/Y", {3, 4}, {2, 3}, slab.data());
  EXPECT_EQ(slab[4], 100.0f * 4 + 5);
}

// Ranks read leading column blocks of different widths collectively, as
// decode's ROI models do. Open MPI 4.1.4's ompio returned wrong values here
// unless read data sieving is off (mpi/environment.cpp).
TEST(H5File, CollectiveReadsOfBlocksOfDifferentWidths) {
  const mpi::Comm world = mpi::Comm::world();
  const testing::TempDir dir(world);
  const std::string path = dir.file("widths.h5");
  const std::size_t rows = 2000, cols = 240;
  const auto value = [&](std::size_t i, std::size_t j) { return float(i * cols + j); };
  {
    H5File f(path, Access::create, world);
    f.create<float>("/Y", {rows, cols});
    const mpi::Range mine = mpi::even_part(rows, static_cast<std::size_t>(world.size()),
                                           static_cast<std::size_t>(world.rank()));
    std::vector<float> data;
    for (std::size_t i = mine.begin; i < mine.end; ++i)
      for (std::size_t j = 0; j < cols; ++j) data.push_back(value(i, j));
    f.write<float>("/Y", {mine.begin, 0}, {mine.size(), mine.empty() ? 0 : cols}, data.data());
  }
  const H5File f(path, Access::read, world);
  const std::size_t width = cols - 37 * static_cast<std::size_t>(world.rank() % 6);
  std::vector<float> block(rows * width);
  f.read<float>("/Y", {0, 0}, {rows, width}, block.data());
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < width; ++j) wrong += block[i * width + j] != value(i, j) ? 1 : 0;
  EXPECT_EQ(wrong, 0u) << "rank " << world.rank() << " read " << width << " columns";
}

TEST(H5File, StringDatasetsRowReadsAndGroupListing) {
  const mpi::Comm world = mpi::Comm::world();
  const testing::TempDir dir(world);
  const std::string path = dir.file("strings.h5");
  const std::size_t n = 9;
  const mpi::Range mine = mpi::even_part(n, static_cast<std::size_t>(world.size()),
                                         static_cast<std::size_t>(world.rank()));
  {
    H5File f(path, Access::create, world);
    f.create_strings("/ids", {n}, 12);
    std::vector<std::string> ids;
    for (std::size_t i = mine.begin; i < mine.end; ++i) ids.push_back("clip." + std::to_string(i));
    f.write_strings("/ids", {mine.begin}, {mine.size()}, ids);
    std::vector<float> rows;
    for (std::size_t i = 0; i < n * 3; ++i) rows.push_back(float(i));
    f.write_all<float>("/tags/emb", {n, 3}, rows);
    std::vector<std::int32_t> genre;
    for (std::size_t i = 0; i < n; ++i) genre.push_back(std::int32_t(10 + i));
    f.write_all<std::int32_t>("/tags/genre", {n}, genre);
    // Every rank fails the length check before the collective write.
    EXPECT_THROW(f.write_strings("/ids", {mine.begin}, {1}, {"far longer than twelve"}), H5Error);
  }
  const H5File f(path, Access::read, world);
  const auto ids = f.read_strings("/ids", {2}, {4});
  EXPECT_EQ(ids, (std::vector<std::string>{"clip.2", "clip.3", "clip.4", "clip.5"}));
  EXPECT_EQ(f.children("/tags"), (std::vector<std::string>{"emb", "genre"}));
  EXPECT_TRUE(f.children("/absent").empty());
  // Rows in any order, with a repeat; ranks ask for different rows.
  const std::vector<std::size_t> rows =
      world.rank() % 2 == 0 ? std::vector<std::size_t>{7, 1, 7} : std::vector<std::size_t>{0};
  std::vector<float> out(rows.size() * 3);
  f.read_rows<float>("/tags/emb", rows, out.data());
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(out[i * 3 + j], float(rows[i] * 3 + j));
  // The same of a 1-D dataset: one value a row.
  std::vector<std::int32_t> one(rows.size());
  f.read_rows<std::int32_t>("/tags/genre", rows, one.data());
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(one[i], std::int32_t(10 + rows[i]));
  EXPECT_THROW(f.read_strings("/tags/genre", {0}, {1}), H5Error);  // not a string dataset
}

// A round of encode where a rank has no voxels: its columns are empty
// vectors, whose data pointers are null, the noise ceiling's too. It must
// still join every collective write; it once skipped the ceiling's three
// when its pointer was null, and the job hung (5,000 voxels of genre at 2
// ranks).
TEST(EncodeResults, ARankWithoutVoxelsJoinsTheCeilingWrites) {
  const mpi::Comm world = mpi::Comm::world();
  const testing::TempDir dir(world);
  const std::string path = dir.file("enc.h5");
  const std::size_t voxels = 7;
  H5File f(path, Access::create, world);
  EncodeResults results(f);
  EncodeResultShape shape;
  shape.voxels = voxels;
  shape.blocks = 1;
  shape.alphas = {1.0, 10.0};
  shape.ceiling = true;
  results.create<float>(shape);
  const bool root = world.is_root();
  const mpi::Range mine = root ? mpi::Range{0, voxels} : mpi::Range{};
  std::vector<double> values(mine.size(), 0.5);
  std::vector<std::uint8_t> valid(mine.size(), 1);
  const double* v = values.empty() ? nullptr : values.data();
  VoxelColumns c{v, v, v, v, v, valid.empty() ? nullptr : valid.data()};
  c.explainable_variance = c.noise_ceiling = c.r_normalized = v;
  results.write(mine, c);
  results.mark_done(root ? std::optional<std::size_t>(0) : std::nullopt);
  std::vector<double> r, alpha, p, ceiling;
  results.read({0, voxels}, r, alpha, p, ceiling);
  B2M_ASSERT_ALL(world, ceiling.size() == voxels);
  EXPECT_EQ(ceiling, std::vector<double>(voxels, 0.5));
  EXPECT_EQ(results.blocks_done(), std::vector<std::uint8_t>{1});
}

TEST(H5File, ErrorsNameTheFileAndObject) {
  const mpi::Comm world = mpi::Comm::world();
  const testing::TempDir dir(world);
  const std::string path = dir.file("small.h5");
  {
    H5File f(path, Access::create, world);
    f.write_all<double>("/x", {3}, {1.0, 2.0, 3.0});
  }
  const H5File f(path, Access::read, world);
  try {
    static_cast<void>(f.read_all<double>("/test/Y"));
    FAIL();
  } catch (const H5Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("/test/Y"), std::string::npos);
  }
  std::vector<double> out(2);
  EXPECT_THROW(f.read<double>("/x", {2}, {2}, out.data()), H5Error);
  // A truncated file and a text file are refused with the path in the message.
  const std::string truncated = dir.file("truncated.h5");
  if (world.is_root()) {
    std::filesystem::copy_file(path, truncated);
    std::filesystem::resize_file(truncated, std::filesystem::file_size(path) / 3);
    std::ofstream(dir.file("text.h5")) << "not hdf5\n";
  }
  world.barrier();
  for (const std::string& bad : {truncated, dir.file("text.h5"), dir.file("absent.h5")}) {
    try {
      const H5File g(bad, Access::read, world);
      static_cast<void>(g.read_all<double>("/x"));
      FAIL() << bad;
    } catch (const H5Error& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace b2m::io
