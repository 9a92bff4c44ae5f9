// The C target needs one source file; everything it provides is in include/CSystemCalls.h.
#include "CSystemCalls.h"
