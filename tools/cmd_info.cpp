// `normrt info`: what this CPU and OS offer, what the build has, what runs.
#include <omp.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "cli.hpp"
#include "normrt/simd/isa.hpp"

#ifndef NORMRT_VERSION
#define NORMRT_VERSION "unknown"
#endif

namespace normrt::cli {

const char* const kInfoUsage =
    "usage: normrt info\n\n"
    "Prints the CPU, the features normrt detected (cpuid + xgetbv, or HWCAP), the\n"
    "ISAs compiled in and usable here, the ISA chosen (NORMRT_ISA caps it) and\n"
    "OpenMP's thread count. Exits 1 when NORMRT_ISA is invalid.\n";

namespace {

const char* yes_no(bool b) { return b ? "yes" : "no"; }

void print_features(const CpuFeatures& f) {
  std::cout << "features:\n"
            << "  x86: SSE2 " << yes_no(f.sse2) << ", AVX " << yes_no(f.avx) << ", AVX2 "
            << yes_no(f.avx2) << ", FMA " << yes_no(f.fma) << ", F16C " << yes_no(f.f16c)
            << "\n"
            << "  AVX-512: F " << yes_no(f.avx512f) << ", BW " << yes_no(f.avx512bw) << ", DQ "
            << yes_no(f.avx512dq) << ", VL " << yes_no(f.avx512vl) << "\n"
            << "  OS state (XCR0): AVX/YMM " << yes_no(f.os_avx) << ", AVX-512 opmask/ZMM "
            << yes_no(f.os_avx512) << "\n"
            << "  arm: NEON " << yes_no(f.neon) << "\n";
}

void print_isas() {
  std::cout << "ISAs compiled in:";
  for (Isa isa : compiled_isas()) std::cout << " " << isa_name(isa);
  std::cout << "\nISAs usable here:\n";
  for (Isa isa : compiled_isas()) {
    const std::string why = isa_unavailable_reason(isa);
    std::cout << "  " << isa_name(isa) << ": " << (why.empty() ? "yes" : "no (" + why + ")")
              << "\n";
  }
}

}  // namespace

int run_info(const std::vector<std::string>& args) {
  if (!args.empty()) throw UsageError("unexpected argument '" + args.front() + "'");
  const CpuFeatures& f = cpu_features();
  std::cout << "normrt " << NORMRT_VERSION << "\n"
            << "cpu: " << (f.vendor.empty() ? "unknown vendor" : f.vendor) << ", "
            << (f.brand.empty() ? "unknown model" : f.brand) << "\n";
  print_features(f);
  print_isas();
  const char* env = std::getenv("NORMRT_ISA");
  std::cout << "NORMRT_ISA: " << (env != nullptr && *env != '\0' ? env : "(unset)") << "\n";
  std::cout << "OpenMP max threads: " << omp_get_max_threads() << "\n" << std::flush;
  // Last: an invalid NORMRT_ISA throws here, after everything above is shown.
  const Isa chosen = best_isa();
  std::cout << "ISA chosen: " << isa_name(chosen) << "\n";
  return 0;
}

}  // namespace normrt::cli
