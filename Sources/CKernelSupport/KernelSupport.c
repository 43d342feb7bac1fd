// Everything is static inline in include/KernelSupport.h; SwiftPM needs one source file per C target.
#include "KernelSupport.h"
