/* src/proto/socks_parse.c: placeholder until the SOCKS parser lands. */
#include "core/wk.h"
