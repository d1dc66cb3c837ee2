// The bandwidth loops compiled for avx512 (flags set in tools/CMakeLists.txt).
#define NORMRT_BW_ENTRY(name) name##_avx512
#include "bandwidth_loops.inl"
