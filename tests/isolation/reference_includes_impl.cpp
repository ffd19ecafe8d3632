// Must NOT compile: see impl_includes_reference.cpp.
#include "losscheck/impl/mse_loss.h"
#include "losscheck/reference.h"

int main() { return 0; }
