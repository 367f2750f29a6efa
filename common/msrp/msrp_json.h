/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON rendering of parsed MSRP frames, one object per line (the msw-msrp-parse format,
 * docs/msrp.md). Used by the tool and by the vector tests; not for the hot path.
 *
 * Strings map each byte b to the code point U+0000+b (Latin-1), never decoding UTF-8:
 * control characters are written as \u00XX and bytes >= 0x80 as the UTF-8 encoding of
 * that code point, so the output is valid UTF-8 JSON whatever the input bytes.
 *
 * Thread-safety: pure functions over the caller's frame and stream.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "msrp/msrp_types.h"

/* Writes the frame as one JSON object and a newline. Returns 0 or -EIO. */
int msrp_json_write_frame(FILE *out, const struct msrp_frame *f);

/* Writes {"kind":"error","error":NAME,"offset":N} and a newline. Returns 0 or -EIO. */
int msrp_json_write_error(FILE *out, enum msrp_rc rc, uint64_t offset);

/* Writes bytes as a JSON string (quotes included) with the Latin-1 mapping above. */
void msrp_json_write_bytes(FILE *out, const uint8_t *p, size_t len);
