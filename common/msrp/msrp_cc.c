/* SPDX-License-Identifier: BSD-3-Clause */
/* The character class table of msrp_pvt.h, computed by the compiler. */
#include "msrp/msrp_pvt.h"

#define MSRP_CC4(c)                                                                                \
	MSRP_CC_ENTRY(c), MSRP_CC_ENTRY(c + 1), MSRP_CC_ENTRY(c + 2), MSRP_CC_ENTRY(c + 3)
#define MSRP_CC16(c) MSRP_CC4(c), MSRP_CC4(c + 4), MSRP_CC4(c + 8), MSRP_CC4(c + 12)
#define MSRP_CC64(c) MSRP_CC16(c), MSRP_CC16(c + 16), MSRP_CC16(c + 32), MSRP_CC16(c + 48)

const uint16_t msrp_cc[256] = {
        MSRP_CC64(0),
        MSRP_CC64(64),
        MSRP_CC64(128),
        MSRP_CC64(192),
};
