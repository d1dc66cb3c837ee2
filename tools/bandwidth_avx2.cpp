// The bandwidth loops compiled for avx2 (flags set in tools/CMakeLists.txt).
#define NORMRT_BW_ENTRY(name) name##_avx2
#include "bandwidth_loops.inl"
