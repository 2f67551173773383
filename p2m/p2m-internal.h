/* SPDX-License-Identifier: MIT */
/* p2m/p2m-internal.h - engine internals shared by the engine files and the tests. */
#ifndef P2MSIM_P2M_INTERNAL_H
#define P2MSIM_P2M_INTERNAL_H

#include "p2m/p2m.h"

#endif
