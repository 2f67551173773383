/* SPDX-License-Identifier: MIT */
/*
 * hv/sim-faults.c - fault injection in the in-memory Xen.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sim-internal.h"

/* The operations a rule may name (hv_sim_inject). */
static const char *const op_names[] = {
	"machine_memory_map",
	"memory_map",
	"set_memory_map",
	"reservation",
	"set_max_pages",
	"populate_physmap",
	"increase_reservation",
	"decrease_reservation",
	"machphys_update",
	"domain_info",
	"p2m_info",
	"set_p2m_info",
	"map_frames",
	"create_domain",
	"destroy_domain",
	"xs_read",
	"xs_write",
	"frame_types",
	"xen_info",
};

/* --- fault injection ----------------------------------------------------------- */

/*
 * Every operation a guest or toolstack makes goes through here first.  A
 * rule counts down on the operations it matches and fires on the one that
 * brings it to zero: an error for any operation, or, for the three XENMEM
 * batch operations, a cap on the extents done.  A partial rule that lands
 * on another operation is used up without effect.
 */
static void drop_fired_rules(struct hv_sim *s)
{
	size_t j = 0;

	for (size_t i = 0; i < s->nr_rules; i++)
		if (s->rules[i].countdown)
			s->rules[j++] = s->rules[i];
	s->nr_rules = j;
}

int sim_enter(struct hv_sim *s, const char *op, size_t *partial, struct p2msim_err *err)
{
	struct sim_rule fired = { .countdown = 1 };

	s->op_count++;
	if (partial)
		*partial = 0;
	for (size_t i = 0; i < s->nr_rules; i++) {
		struct sim_rule *r = &s->rules[i];

		if (r->op[0] && strcmp(r->op, op))
			continue;
		/* Two rules due on the same call: the first added wins and
		 * both are used up. */
		if (--r->countdown == 0 && fired.countdown)
			fired = *r;
	}
	if (fired.countdown)
		return 0;
	drop_fired_rules(s);
	if (fired.partial) {
		if (partial)
			*partial = fired.partial;
		return 0;
	}
	if (fired.error)
		return p2msim_err_set(err, fired.error > 0 ? -fired.error : fired.error,
				      "%s: injected failure (errno %d) at operation %lu", op,
				      fired.error > 0 ? fired.error : -fired.error, s->op_count);
	return 0;
}

int hv_sim_inject(struct hv *hv, const char *op, unsigned long nth, int error, size_t partial)
{
	struct hv_sim *s = hv_sim_of(hv);
	struct sim_rule *r;
	bool known = !op;

	if (!hv || hv->ops != &sim_ops || nth == 0 || (!error && !partial))
		return -EINVAL;
	for (size_t i = 0; op && i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (!strcmp(op, op_names[i]))
			known = true;
	if (!known || (op && strlen(op) >= sizeof(r->op)))
		return -EINVAL;
	if (s->nr_rules == s->alloc_rules) {
		size_t n = s->alloc_rules ? 2 * s->alloc_rules : 8;
		struct sim_rule *nr = realloc(s->rules, n * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		s->rules = nr;
		s->alloc_rules = n;
	}
	r = &s->rules[s->nr_rules++];
	memset(r, 0, sizeof(*r));
	if (op)
		strcpy(r->op, op);
	r->countdown = nth;
	r->error = error;
	r->partial = partial;
	return 0;
}

void hv_sim_inject_clear(struct hv *hv)
{
	if (hv && hv->ops == &sim_ops)
		hv_sim_of(hv)->nr_rules = 0;
}

bool hv_sim_out_of_memory(const struct hv *hv)
{
	return hv && hv->ops == &sim_ops && ((const struct hv_sim *)(const void *)hv)->host_oom;
}

unsigned long hv_sim_op_count(const struct hv *hv)
{
	return hv && hv->ops == &sim_ops ? ((const struct hv_sim *)(const void *)hv)->op_count : 0;
}

int hv_sim_limit_free(struct hv *hv, uint64_t pages)
{
	if (!hv || hv->ops != &sim_ops)
		return -EINVAL;
	hv_sim_of(hv)->free_limit = pages;
	return 0;
}
