/* src/core/idna.c: placeholder until the IDNA module lands (issue 3). */
#include "core/wk.h"
