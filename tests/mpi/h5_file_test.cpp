#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/h5_error.hpp"
#include "io/h5_file.hpp"
#include "mpi/partition.hpp"
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
    f.write<float>("/train/Y", {0, mine.begin}, {mine.empty() ? 0 : rows, mine.size()}, data.data());
    f.write_attribute("/train", "names", std::vector<std::string>{"a", "longer name"});
    f.write_attribute("/train/Y", "alphas", std::vector<double>{1.5, 2.5});
    f.write_attribute("/", "note", std::string("hello"));
  }
  const H5File f(path, Access::read, world);
  const auto all = f.read_all<double>("/train/Y");
  ASSERT_EQ(all.size(), rows * cols);
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
