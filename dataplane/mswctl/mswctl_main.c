/* SPDX-License-Identifier: BSD-3-Clause */
/* mswctl: operator CLI of the msw data plane (docs/mswctl.md). Everything is in mswctl_lib. */
#include <stdio.h>

#include "mswctl.h"

int
main(int argc, char **argv)
{
	return mswctl_main(argc, argv, stdout, stderr);
}
