/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-channel ABI: pinned sizes and offsets (the static_asserts in msw_ctl_abi.h fail the
 * build; these tests pin what a static_assert cannot say), record encoding, the message and
 * counter tables, naming rules and the region layout.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_pvt.h"
#include "ctl/ctl_types.h"
#include "msw/msw_ctl_abi.h"

Test(ctl_abi, version_and_magic_are_pinned)
{
	cr_assert_eq(MSW_CTL_ABI_VERSION, 1u);
	cr_assert_eq(memcmp(&(uint64_t){MSW_CTL_MAGIC}, "MSWCTL1\1", 8), 0,
	             "magic reads MSWCTL1\\1 in memory on little-endian hosts");
	cr_assert_eq(MSW_CTL_REC_SIZE, 256u);
	cr_assert_eq(MSW_CTL_PAYLOAD_MAX, 224u);
	cr_assert_geq(MSW_CTL_SLOTS_MIN, 8u, "the issue asks for at least 8 slots");
}

Test(ctl_abi, type_codes_are_module_and_id)
{
	cr_assert_eq(MSW_CTL_PING, 0x0001);
	cr_assert_eq(MSW_CTL_RESYNC_BEGIN, 0x0002);
	cr_assert_eq(MSW_CTL_CONF_CREATE, 0x0101);
	cr_assert_eq(MSW_CTL_LEG_ADD, 0x0104);
	cr_assert_eq(MSW_CTL_LEG_LIST, 0x0107);
	cr_assert_eq(MSW_CTL_EV_LEG_BOUND, 0x0201);
	cr_assert_eq(MSW_CTL_EV_FINAL_REPORT, 0x0205);
	cr_assert_str_eq(ctl_type_name(MSW_CTL_LEG_ADD), "LEG_ADD");
	cr_assert_str_eq(ctl_type_name(MSW_CTL_EV_HISTORY), "EV_HISTORY");
	cr_assert_null(ctl_type_name(0x0199));
	cr_assert_null(ctl_type_name(0xffff));
}

Test(ctl_abi, counter_names_follow_the_x_macro)
{
	unsigned int i;

	cr_assert_str_eq(ctl_cnt_name(MSW_CTL_CNT_CMD_RX), "cmd_rx");
	cr_assert_str_eq(ctl_cnt_name(MSW_CTL_CNT_EVT_DROP_BLOB_BUDGET), "evt_drop_blob_budget");
	cr_assert_null(ctl_cnt_name(MSW_CTL_CNT_MAX));
	for (i = 0; i < MSW_CTL_CNT_MAX; i++)
		cr_assert_not_null(ctl_cnt_name(i), "counter %u has a name", i);
	/* Appending is compatible, reordering is not: pin the first and last known. */
	cr_assert_eq(MSW_CTL_CNT_CMD_RX, 0);
	cr_assert_eq(MSW_CTL_CNT_RESYNC_DELETED, 18);
}

Test(ctl_abi, record_encoding_round_trip)
{
	struct msw_ctl_rec rec;
	struct msw_ctl_leg_add la;
	struct msw_ctl_leg_add back;
	uint8_t raw[MSW_CTL_REC_SIZE];
	uint32_t seq;

	memset(&rec, 0, sizeof(rec));
	memset(&la, 0, sizeof(la));
	memcpy(la.leg.conf.id, "room-1.a_b", 10);
	la.leg.conf.len = 10;
	memcpy(la.leg.session_id, "s3ss10n", 7);
	la.leg.session_id_len = 7;
	la.max_size = 65536;
	la.setup = MSW_CTL_SETUP_ACTIVE;
	la.direction = MSW_CTL_DIR_RECVONLY;
	la.flags = MSW_CTL_LEG_F_HISTORY;
	la.connect.family = 2;
	la.connect.port = 2855;
	la.path = (struct msw_ctl_blob_ref){.off = 4096, .len = 40, .gen = 7, .cls = 0};
	rec.hdr = (struct msw_ctl_hdr){.type = MSW_CTL_LEG_ADD,
	                               .ver = MSW_CTL_VER_LEG_ADD,
	                               .flags = MSW_CTL_F_BLOB,
	                               .seq = 0x01020304,
	                               .len = sizeof(la),
	                               .status = -ENOENT,
	                               .gen = 0xabcdef,
	                               .blob_end = 4160};
	memcpy(rec.payload, &la, sizeof(la));
	memcpy(raw, &rec, sizeof(raw));

	/* Wire bytes at the documented offsets (little-endian hosts: x86_64, aarch64). */
	cr_assert_eq(raw[0], 0x04);
	cr_assert_eq(raw[1], 0x01);
	cr_assert_eq(raw[2], MSW_CTL_VER_LEG_ADD);
	cr_assert_eq(raw[3], MSW_CTL_F_BLOB);
	memcpy(&seq, raw + 4, 4);
	cr_assert_eq(seq, 0x01020304u);
	cr_assert_eq(raw[32 + 0], 'r', "payload starts at byte 32 with the conference id");
	cr_assert_eq(raw[32 + 64], 10, "conference id length at payload byte 64");
	cr_assert_eq(raw[32 + 72], 's', "session id at payload byte 72");
	cr_assert_eq(memcmp(raw + 32 + 160, &la.path, 16), 0, "path blob ref at payload byte 160");
	/* LEG_ADD v2: direction and flags in the former padding, before the connect address. */
	cr_assert_eq(raw[32 + 134], 2, "direction (RECVONLY) at payload byte 134");
	cr_assert_eq(raw[32 + 135], 1, "flags (HISTORY) at payload byte 135");
	cr_assert_eq(MSW_CTL_VER_LEG_ADD, 2);

	memcpy(&back, raw + sizeof(struct msw_ctl_hdr), sizeof(back));
	cr_assert_eq(memcmp(&back, &la, sizeof(la)), 0);
}

Test(ctl_abi, every_payload_fits_one_record)
{
#define PAYLOAD(s) cr_assert_leq(sizeof(struct s), MSW_CTL_PAYLOAD_MAX, #s)
	PAYLOAD(msw_ctl_conf_create);
	PAYLOAD(msw_ctl_leg_add);
	PAYLOAD(msw_ctl_leg_add_r);
	PAYLOAD(msw_ctl_leg_set);
	PAYLOAD(msw_ctl_ev_msg);
	PAYLOAD(msw_ctl_ev_report);
	PAYLOAD(msw_ctl_obj_list_r);
#undef PAYLOAD
	cr_assert_eq(sizeof(struct msw_ctl_leg_add), MSW_CTL_PAYLOAD_MAX,
	             "LEG_ADD v1 uses the whole record: v2 fields must go to blobs");
}

Test(ctl_abi, conf_id_alphabet_and_length)
{
	char long_id[MSW_CTL_CONF_ID_MAX + 1];

	cr_assert(msw_ctl_conf_id_valid("a", 1));
	cr_assert(msw_ctl_conf_id_valid("Room_1.x-Y", 10));
	cr_assert_not(msw_ctl_conf_id_valid("", 0));
	cr_assert_not(msw_ctl_conf_id_valid("a b", 3));
	cr_assert_not(msw_ctl_conf_id_valid("a/b", 3));
	cr_assert_not(msw_ctl_conf_id_valid("caf\xc3\xa9", 5));
	memset(long_id, 'x', sizeof(long_id));
	cr_assert(msw_ctl_conf_id_valid(long_id, MSW_CTL_CONF_ID_MAX));
	cr_assert_not(msw_ctl_conf_id_valid(long_id, MSW_CTL_CONF_ID_MAX + 1));
}

Test(ctl_abi, instance_name_resolution)
{
	char name[CTL_SHM_NAME_CAP];

	unsetenv(MSW_CTL_INSTANCE_ENV);
	cr_assert_eq(ctl_shm_name(NULL, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "/msw.default");
	setenv(MSW_CTL_INSTANCE_ENV, "lab-2", 1);
	cr_assert_eq(ctl_shm_name(NULL, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "/msw.lab-2");
	cr_assert_eq(ctl_shm_name("explicit", name, sizeof(name)), 0, "argument beats the env");
	cr_assert_str_eq(name, "/msw.explicit");
	cr_assert_eq(ctl_shm_name("../etc", name, sizeof(name)), -EINVAL);
	cr_assert_eq(ctl_shm_name("0123456789012345678901234567890123", name, sizeof(name)),
	             -EINVAL, "longer than 31");
}

Test(ctl_abi, layout_offsets_are_aligned_and_fit_32_bits)
{
	struct ctl_layout lay;

	cr_assert_eq(ctl_layout_compute(16, 256, 64 * 1024, 256 * 1024, &lay), 0);
	cr_assert_eq(lay.off_counters, 512u);
	cr_assert_eq(lay.off_slots % 4096, 0u);
	cr_assert_geq(lay.off_slots, 512u + sizeof(struct msw_ctl_counters));
	cr_assert_eq(lay.slot_stride % 4096, 0u);
	cr_assert_geq(lay.slot_stride, sizeof(struct msw_ctl_slot) + 2u * 256 * 256);
	cr_assert_eq(lay.off_blob, lay.off_slots + 16 * lay.slot_stride);
	cr_assert_eq(lay.size, lay.off_blob + 16ull * (64 + 256) * 1024);
	/* The numbers docs/ctl-abi.md gives for the default geometry. */
	cr_assert_eq(lay.off_slots, 143360u);
	cr_assert_eq(lay.slot_stride, 135168u);
	cr_assert_eq(lay.size, 7548928u);
	cr_assert_eq(ctl_layout_compute(64, 65536, 1u << 30, 1u << 30, &lay), -EINVAL,
	             "blob offsets are 32-bit: the region must stay below 4 GiB");
}

Test(ctl_abi, blob_sizes_are_aligned)
{
	cr_assert_eq(ctl_blob_need(0), 16u);
	cr_assert_eq(ctl_blob_need(1), 32u);
	cr_assert_eq(ctl_blob_need(16), 32u);
	cr_assert_eq(ctl_blob_need(17), 48u);
}

/* docs/ctl-abi.md lists the counters; it must not drift from msw_ctl_counters.def. */
Test(ctl_abi, doc_counter_table_matches_the_x_macro)
{
	const char *root = getenv("MSW_SRC_ROOT");
	char path[4096], row[128];
	static char doc[256 * 1024];
	size_t len;
	FILE *f;
	unsigned int i;

	cr_assert_not_null(root, "MSW_SRC_ROOT is set by meson test");
	snprintf(path, sizeof(path), "%s/docs/ctl-abi.md", root);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	len = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[len] = '\0';
	for (i = 0; i < MSW_CTL_CNT_MAX; i++) {
		snprintf(row, sizeof(row), "| %u | `%s` |", i, ctl_cnt_name(i));
		cr_assert_not_null(strstr(doc, row), "docs/ctl-abi.md lacks the row \"%s\"", row);
	}
	snprintf(row, sizeof(row), "| %u | `", (unsigned int)MSW_CTL_CNT_MAX);
	cr_assert_null(strstr(doc, row), "docs/ctl-abi.md lists a counter that does not exist");
}
