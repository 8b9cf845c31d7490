/* A write-fault injector for the fault tests (tests/faults/), loaded with
 * LD_PRELOAD into b2m's ranks. Once a process has written
 * B2M_FAULT_AFTER bytes to files whose path contains B2M_FAULT_MATCH, every
 * further write to such a file fails with B2M_FAULT_ERRNO (ENOSPC, EROFS or
 * EIO; ENOSPC if unset), as a full or failing disk would. Only the rank
 * named by B2M_FAULT_RANK fails (every rank if unset), so a test can make
 * one rank's I/O fail while its peers carry on. B2M_FAULT_MATCH ending in
 * '$' matches a suffix ("out.h5.partial$": not "out.h5.partial.checkpoint").
 * B2M_FAULT_LOG (optional) names a file the first fault is logged to.
 *
 * It wraps the calls through which b2m, HDF5 and Open MPI's MPI-IO write:
 * write, pwrite, writev, pwritev and fsync-free variants of them. Paths are
 * found through /proc/self/fd, so every way of opening a file is covered. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static long long written = 0;

static int enabled(void) {
  static int state = -1; /* -1 unknown, 0 off, 1 on */
  if (state >= 0) return state;
  const char* match = getenv("B2M_FAULT_MATCH");
  const char* want = getenv("B2M_FAULT_RANK");
  const char* rank = getenv("OMPI_COMM_WORLD_RANK");
  if (rank == NULL) rank = getenv("PMIX_RANK");
  if (rank == NULL) rank = getenv("SLURM_PROCID");
  state = match != NULL && *match != '\0' &&
          (want == NULL || *want == '\0' || (rank != NULL && strcmp(want, rank) == 0));
  return state;
}

static int fault_errno(void) {
  const char* name = getenv("B2M_FAULT_ERRNO");
  if (name == NULL || strcmp(name, "ENOSPC") == 0) return ENOSPC;
  if (strcmp(name, "EROFS") == 0) return EROFS;
  if (strcmp(name, "EIO") == 0) return EIO;
  return ENOSPC;
}

/* The path of `fd` into `path` if it matches B2M_FAULT_MATCH: a substring,
 * or with a trailing '$' a suffix. */
static int matches(int fd, char* path, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, size - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  const char* match = getenv("B2M_FAULT_MATCH");
  const size_t m = strlen(match);
  if (m > 0 && match[m - 1] == '$')
    return (size_t)n >= m - 1 && strncmp(path + n - (m - 1), match, m - 1) == 0;
  return strstr(path, match) != NULL;
}

/* Appends "PATH" to B2M_FAULT_LOG (if set) at the first injected fault, so
 * that a test knows whether the fault happened. */
static void log_fault(const char* path) {
  static int logged = 0;
  const char* log = getenv("B2M_FAULT_LOG");
  if (logged || log == NULL || *log == '\0') return;
  logged = 1;
  FILE* f = fopen(log, "a");
  if (f == NULL) return;
  fprintf(f, "%s\n", path);
  fclose(f);
}

/* Whether a write of `count` bytes to `fd` fails; counts the bytes that pass. */
static int fails(int fd, size_t count) {
  char path[4096];
  if (!enabled() || !matches(fd, path, sizeof path)) return 0;
  const char* after = getenv("B2M_FAULT_AFTER");
  const long long limit = after != NULL ? atoll(after) : 0;
  if (written + (long long)count > limit) {
    log_fault(path);
    errno = fault_errno();
    return 1;
  }
  written += (long long)count;
  return 0;
}

static size_t total(const struct iovec* iov, int n) {
  size_t sum = 0;
  for (int i = 0; i < n; ++i) sum += iov[i].iov_len;
  return sum;
}

#define REAL(name, type) ((type)dlsym(RTLD_NEXT, name))

ssize_t write(int fd, const void* buf, size_t count) {
  if (fails(fd, count)) return -1;
  return REAL("write", ssize_t(*)(int, const void*, size_t))(fd, buf, count);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  if (fails(fd, count)) return -1;
  return REAL("pwrite", ssize_t(*)(int, const void*, size_t, off_t))(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  if (fails(fd, count)) return -1;
  return REAL("pwrite64", ssize_t(*)(int, const void*, size_t, off_t))(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int n) {
  if (fails(fd, total(iov, n))) return -1;
  return REAL("writev", ssize_t(*)(int, const struct iovec*, int))(fd, iov, n);
}

ssize_t pwritev(int fd, const struct iovec* iov, int n, off_t offset) {
  if (fails(fd, total(iov, n))) return -1;
  return REAL("pwritev", ssize_t(*)(int, const struct iovec*, int, off_t))(fd, iov, n, offset);
}

ssize_t pwritev64(int fd, const struct iovec* iov, int n, off_t offset) {
  if (fails(fd, total(iov, n))) return -1;
  return REAL("pwritev64", ssize_t(*)(int, const struct iovec*, int, off_t))(fd, iov, n, offset);
}
