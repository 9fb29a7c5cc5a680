// Counts heap allocations made by the test program, so tests can assert that the hot-path codec
// functions do not allocate. Replaces the global operator new/delete: include it from exactly one
// translation unit of a test executable.
// Thread ownership: the counter is global; read it from the test's own thread.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

namespace ringmq::testing {

inline std::atomic<long> g_allocations{0};

// Allocations made while `fn` runs.
template <class F>
long CountAllocations(F&& fn) {
  const long before = g_allocations.load();
  fn();
  return g_allocations.load() - before;
}

}  // namespace ringmq::testing

void* operator new(std::size_t size) {
  ringmq::testing::g_allocations.fetch_add(1);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
// Not inlined: GCC would otherwise pair the inlined free() with a new-expression and warn
// (-Wmismatched-new-delete), not knowing that operator new here is malloc.
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
