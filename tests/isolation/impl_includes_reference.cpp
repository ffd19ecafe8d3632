// Must NOT compile: impl links only core, so the reference's headers are out of its reach (and the other way round
// in reference_includes_impl.cpp). The test independence_test.cmake checks that the build fails on the include.
#include "losscheck/impl.h"
#include "losscheck/reference.h"

int main() { return 0; }
