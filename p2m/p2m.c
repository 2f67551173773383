/* SPDX-License-Identifier: MIT */
/*
 * p2m/p2m.c - the three-level P2M tree: pages, lookups and updates.
 *
 * WHAT IT IS
 *
 * A Xen PV guest owns no physical memory of its own: the hypervisor gives
 * it machine frames (MFNs) and the guest decides at which pseudo-physical
 * frame number (pfn) each one appears.  The table pfn -> mfn is the P2M.
 * Linux keeps it, from 2.6.38 to 3.18, as a three-level radix tree, and
 * from 3.19 on as a virtually mapped linear array whose page tables play
 * the same role.  Either way the shape is:
 *
 *   top[]                 one slot per 1 GiB of pfns (x86-64: 512 slots a page)
 *    |
 *    +--> mid[]           one slot per leaf (512 leaves = 1 GiB)
 *          |
 *          +--> leaf[]    one frame value per pfn (512 pfns = 2 MiB)
 *
 * with three kinds of frame value: an MFN (possibly with FOREIGN_FRAME_BIT
 * when the frame belongs to another domain), INVALID (~0: "missing", no
 * frame), and IDENTITY_FRAME(pfn) = pfn | IDENTITY_FRAME_BIT, the 1-1
 * mapping used for E820 holes and non-RAM so that device and firmware
 * memory can be reached at its own address.
 *
 * SHARED PAGES
 *
 * Most of a guest's pfn space is either missing (above its RAM) or
 * identity (PCI holes, MMIO windows up to many TiB).  Giving each such leaf
 * its own page would cost 4 KiB per 2 MiB of address space, so the kernel
 * keeps a handful of read-only pages that stand for whole leaves and mids:
 *
 *   missing        a leaf of INVALID entries
 *   identity       a leaf that *also* holds INVALID: only its address says
 *                  "identity".  A lookup therefore compares the leaf pointer
 *                  with it and returns IDENTITY_FRAME(pfn) without reading
 *                  it; the toolstack, which sees only frames, reads INVALID.
 *   mid_missing    a mid whose every slot points at missing
 *   mid_identity   a mid whose every slot points at identity (3.14+)
 *
 * Writing into a shared page first copies it into a private one
 * (copy-on-write).  The copy of the identity leaf holds identity values in
 * modern kernels; 2.6.39-3.18 filled it with INVALID, dropping the identity
 * meaning of the other entries (doc/design-p2m.md#allocation; cfg.cow_identity_fill).
 *
 * THE WORKED EXAMPLE (the 1-1 series' cover letter, doc/behaviours.md#the-seed-map-s)
 *
 * RAM to 1029 MiB, ACPI to 1030 MiB, a gap, reserved 1200-1300 MiB, a gap,
 * RAM from 2001 MiB; dom0 with 1 GiB of its own (nr_pages 0x40000).  The
 * 2.6.39 kernel makes [0x40500, 0x7d100) identity:
 *
 *   top[0] --> mid (builder's mfn_list leaves: RAM 0 .. 1 GiB)
 *   top[1] --> mid: [0] missing  [1] missing
 *                   [2] private leaf: 0..255 INVALID, 256..511 identity
 *                   [3] .. [487] identity (shared page, nothing allocated)
 *                   [488] private leaf: 0..255 identity, 256..511 INVALID
 *                   [489] .. [511] missing
 *   top[2..511] --> mid_missing
 *
 * at a cost of four pages: the mid for top[1], its mid_mfn mirror page and
 * the two boundary leaves.  A modern kernel expresses the same thing with
 * the shared pages of its linear list and, where a whole 1 GiB is
 * identity, with mid_identity.
 *
 * THE MFN MIRROR
 *
 * The toolstack (save/restore, dump-core) cannot follow kernel virtual
 * pointers, so the kernel also keeps a tree of machine frame numbers:
 * top_mfn[] holds the MFN of each mid's mid_mfn page, which holds the MFN of
 * each leaf page; shared_info's pfn_to_mfn_frame_list_list points at
 * top_mfn.  Missing 1 GiB slots point at the shared mid_missing_mfn page.
 * mirror.c keeps it in step and lets tests read it the way a toolstack
 * does (p2m_read_frame).
 *
 * THIS MODEL
 *
 * struct p2m is one guest's tree; nothing is global.  As in the kernel,
 * top[t][m][i] is the value of a pfn: top[t] points at a mid's array of leaf
 * pointers and each of those at a leaf's array of values (p2m_get() walks
 * them; the inline p2m_lookup() reads the leaf directory below).  The page
 * headers (counters, owner, machine frame) sit beside those arrays: a mid's
 * in front of its slot array, a leaf's in the table at the start of the 2
 * MiB arena chunk its page lives in (arena.c), found from the page's
 * address alone.
 *
 *   top[t] ----> [hdr|slot 0 .. slot 511]         mid page
 *                        |
 *                        v
 *   arena chunk: [hdr table][leaf page][leaf page]...   e[0] .. e[511]
 *
 * The top level may span several pages so that a modern dom0 can map
 * identity far above its RAM (2^36 pfns and more); the 2.6.39 policy keeps
 * its single top page and 512 GiB limit.  Private pages carry small counters
 * (how many entries are missing / identity, how many slots point at shared
 * leaves) so that uniformity tests, compaction and the lower-bound
 * accounting cost nothing per pfn.  Range operations touch only the
 * boundary leaves and mids; run iteration (iter.c) visits shared pages in
 * one step each, so its cost is the number of runs plus the private pages,
 * never the number of pfns.  Kernel-era differences (INVALID vs identity
 * fill of a copied identity leaf, the 2.6.39 range walk, mid_identity) are
 * fields of struct p2m_config that the kernel models set.
 *
 * IMPLICIT LINEAR LEAVES
 *
 * Xen builds dom0 from large contiguous chunks, so almost every leaf of a
 * big guest is a linear run: entry i holds v0 + i, one kind of frame
 * throughout.  Such a leaf is still a private page of the kernel (charged,
 * counted, given a frame, listed in the mirror), but here it is kept as
 * its first value alone: the mid slot points at a marker leaf, p->linear,
 * that no kernel page stands behind, and the value sits in an array laid
 * after the mid's slots:
 *
 *   mid page: [hdr | slot 0 .. slot 511 | lin 0 .. lin 511 | lsrc 0 .. 511]
 *                     |      |                 |
 *                     |      +--> p->linear    +-- v0 of leaf 1: pfn base+i
 *                     v          (marker)          reads v0 + i, no page
 *                 leaf page e[0..511] (materialised leaf)
 *
 * A lookup that meets the marker adds the index to lin[m]: arithmetic on
 * a cache line of the mid, where a materialised leaf costs a load from a
 * page of its own.  The forms change only the storage, never what the
 * kernel or the toolstack sees:
 *
 *   - a range fill of a whole leaf with a linear MFN run, a builder list
 *     whose leaf is a run, and (with compaction) a private leaf whose
 *     writes made it a run again become implicit;
 *   - a write that breaks the run, or any operation that needs the values,
 *     materialises the leaf: a page of values with the same source and
 *     frame (copy-on-write, as for the shared pages, but nothing is
 *     charged: the kernel's page existed all along);
 *   - freeing it is freeing the kernel page it stands for.
 *
 * Private leaves count how many entries do not continue the one before, so
 * that "is this leaf a run?" costs nothing when compaction asks.  An
 * implicit leaf has no page here for the frame map to index, so without
 * frame ops (the synthetic numbering) private leaf pages get frames by
 * their place, leaf_frame_base + pfn / 512, and p2m_read_frame() finds
 * them by arithmetic.  A mid kept as segments may also hold empty leaves:
 * private pages whose entries are all INVALID, what p2m_set_range_pfnwise()
 * leaves where INVALID covers whole implicit leaves (a balloon taking a
 * range out); they stay charged and at their frames, and become pages of
 * values only when the mid needs its page of slots.  cfg.materialise turns implicit leaves off, to
 * measure and test the other form (doc/design-p2m.md#implicit-leaves).
 *
 * THE LEAF DIRECTORY
 *
 * The 3.19+ kernel reaches a leaf through one page-table entry of its
 * virtually mapped list.  The inline lookup does the same with dir[], one
 * word per 512 pfns (a leaf; half a PAE leaf, so that the shift is a
 * constant), kept in step wherever a mid slot, a top slot or a mid's
 * segments change:
 *
 *   dir[pfn >> 9] --> leaf page e[0..511]       private or missing leaf
 *                 =   v0 + P2M_DIR_RUN          implicit leaf, identity
 *                 =   0                         shared mid: ask p2m_get()
 *
 * (the first two biased by the entry's first pfn, so that the lookup adds
 * the pfn unmasked: addr + 8 * pfn, or value + pfn)
 *
 * so that a lookup is one load from a dense array (256 KiB for 64 GiB of
 * pfns) and, for a page, the value's load: with few instructions between
 * two lookups, a loop keeps as many misses in flight as a flat array.
 * It costs a word per leaf, so it is bounded: it appears with the first
 * private mid that has a page of slots, covers a guest of up to 128 GiB
 * whole and a larger one as far as such mids reach (doubling, at most
 * P2M_DIR_MAX entries, 2 TiB of pfns); it is mapped memory that stays
 * untouched under shared mids, and a mid kept as segments gets entries
 * only where the directory already reaches, so a 16 TiB dom0 of whole
 * runs pays nothing for it.  Past it, p2m_get() walks the tree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "p2m/p2m-internal.h"

static const struct p2m_geometry geometries[] = {
	[P2M_ARCH_X86_64] = {
		.arch = P2M_ARCH_X86_64, .name = "x86_64",
		.leaf_shift = 9, .mid_shift = 9, .top_shift = 9, .value_bits = 64,
		.invalid = ~0ULL, .foreign_bit = 1ULL << 63, .identity_bit = 1ULL << 62,
		.max_mfn = (1ULL << 62) - 1, .pmds_per_mid = 1,
	},
	[P2M_ARCH_X86_32] = {
		.arch = P2M_ARCH_X86_32, .name = "x86_32",
		.leaf_shift = 10, .mid_shift = 10, .top_shift = 10, .value_bits = 32,
		.invalid = 0xffffffffULL, .foreign_bit = 1ULL << 31, .identity_bit = 1ULL << 30,
		.max_mfn = (1ULL << 30) - 1, .pmds_per_mid = 2,
	},
};

/* The engine describes at most the pfns of 52-bit physical addresses, what
 * x86-64 can address: 2^40 pfns of 4 KiB (4 PiB).  The top array then has
 * one 8-byte slot per mid: 2^22 slots (32 MiB) on x86-64, whose mids span
 * 2^18 pfns, 2^20 (8 MiB) on x86-32, whose mids span 2^20 pfns. */
#define P2M_MAX_PFN_SHIFT 40

const struct p2m_geometry *p2m_geometry_of(enum p2m_arch arch)
{
	return &geometries[arch];
}

int p2m_arch_parse(const char *name, enum p2m_arch *arch)
{
	if (!strcmp(name, "x86_64") || !strcmp(name, "x86-64") || !strcmp(name, "amd64"))
		*arch = P2M_ARCH_X86_64;
	else if (!strcmp(name, "x86_32") || !strcmp(name, "x86-32") || !strcmp(name, "i386"))
		*arch = P2M_ARCH_X86_32;
	else
		return -EINVAL;
	return 0;
}

const char *p2m_type_name(enum p2m_type type)
{
	static const char *const names[P2M_NR_TYPES] = {
		[P2M_MISSING] = "missing", [P2M_IDENTITY] = "identity", [P2M_PFN] = "pfn",
		[P2M_FOREIGN] = "foreign", [P2M_ABNORMAL] = "abnormal",
	};
	return (unsigned int)type < P2M_NR_TYPES ? names[type] : "?";
}

const char *p2m_level_name(enum p2m_level level)
{
	static const char *const names[P2M_NR_LEVELS] = {
		[P2M_LEVEL_TOP] = "top",
		[P2M_LEVEL_MID] = "middle",
		[P2M_LEVEL_LEAF] = "entry",
	};
	return (unsigned int)level < P2M_NR_LEVELS ? names[level] : "?";
}

enum p2m_type p2m_value_type(const struct p2m_geometry *g, uint64_t pfn, uint64_t v)
{
	(void)pfn;
	if (v == g->invalid)
		return P2M_MISSING;
	if (v & g->foreign_bit)
		return P2M_FOREIGN;
	if (v & g->identity_bit)
		return P2M_IDENTITY;
	return P2M_PFN;
}

void p2m_config_init(struct p2m_config *cfg, enum p2m_arch arch, uint64_t nr_pfns)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->arch = arch;
	cfg->nr_pfns = nr_pfns;
	cfg->mid_identity = true;
	cfg->cow_identity_fill = true;
	cfg->beyond_is_identity = true;
	cfg->range_mode = P2M_RANGE_MINIMAL;
}

void p2m_config_rules_2639(struct p2m_config *cfg)
{
	cfg->top_pages = 1;
	cfg->mid_identity = false;
	cfg->cow_identity_fill = false;
	cfg->invalid_into_identity = true;
	cfg->identity_into_missing = true;
	cfg->beyond_is_identity = false;
	cfg->range_mode = P2M_RANGE_2639;
}

/* --- pages ---------------------------------------------------------------- */

int p2m_page_frame(struct p2m *p, uint64_t *mfn, struct p2msim_err *err)
{
	if (p->cfg.frames) {
		int rc = p->cfg.frames->alloc(p->cfg.frames_ctx, mfn);

		if (rc < 0)
			return p2msim_err_set(err, rc, "no machine frame for a P2M page");
		return 0;
	}
	/* Synthetic frames count down from the largest MFN a value can hold,
	 * far from any frame a model hands out. */
	*mfn = p->next_synthetic_mfn--;
	return 0;
}

/* Charge one page to @src; the brk pool is bounded (brk_pages 0 = none). */
int p2m_charge(struct p2m *p, enum p2m_src src, struct p2msim_err *err)
{
	if (src == P2M_SRC_BRK && p->cfg.brk_pages && p->brk_used >= p->cfg.brk_pages)
		return p2msim_err_set(err, -ENOSPC,
				      "brk exhausted: the P2M needs more than the %llu page(s) "
				      "reserved with RESERVE_BRK (extend_brk would BUG)",
				      (unsigned long long)p->cfg.brk_pages);
	if (src == P2M_SRC_BRK)
		p->brk_used++;
	p->allocs++;
	return 0;
}

void p2m_uncharge(struct p2m *p, enum p2m_src src, uint64_t mfn)
{
	/* brk is never given back: the kernel has no way to free it. */
	(void)src;
	p->frees++;
	if (p->cfg.frames)
		p->cfg.frames->free(p->cfg.frames_ctx, mfn);
}

/* A leaf page for pfns from @base (a private one) or a shared one. */
static struct p2m_leaf *leaf_alloc(struct p2m *p, enum p2m_src src, uint64_t base, bool shared,
				   struct p2msim_err *err)
{
	struct p2m_leaf *leaf;
	uint64_t mfn;

	if (p2m_charge(p, src, err) < 0)
		return NULL;
	leaf = p2m_arena_get(p);
	if (!leaf) {
		p2msim_err_set(err, -ENOMEM,
			       "no memory left for another P2M leaf page (%llu of "
			       "%u KiB held)",
			       (unsigned long long)p->arena.nr_chunks *
				       (P2M_CHUNK_SIZE / (p->per_leaf * 8)),
			       p->per_leaf * 8 / 1024);
		goto undo;
	}
	if (!shared && p->leaf_frames_positional) {
		mfn = p2m_leaf_pos_mfn(p, base);
	} else {
		if (p2m_page_frame(p, &mfn, err) < 0)
			goto undo_free;
		if (p2m_frames_add(p, mfn, P2M_FRAME_LEAF, leaf) < 0) {
			p2msim_err_set(err, -ENOMEM, "out of memory indexing a P2M leaf");
			if (p->cfg.frames)
				p->cfg.frames->free(p->cfg.frames_ctx, mfn);
			goto undo_free;
		}
	}
	leaf->magic = P2M_MAGIC_LEAF;
	leaf->shared = 0;
	leaf->src = src;
	leaf->mfn = mfn;
	leaf->base = base;
	leaf->nr_breaks = 0;
	p->nr_leaf[src]++;
	return leaf;

undo_free:
	p2m_arena_put(p, leaf);
undo:
	if (src == P2M_SRC_BRK)
		p->brk_used--;
	p->allocs--;
	return NULL;
}

static void leaf_release(struct p2m *p, struct p2m_leaf *leaf)
{
	if (!p->leaf_frames_positional)
		p2m_frames_del(p, leaf->mfn);
	p->nr_leaf[leaf->src]--;
	p2m_uncharge(p, leaf->src, leaf->mfn);
	p2m_arena_put(p, leaf);
}

/* Give a mid's memory back: the pool's header or its own allocation. */
static void mid_free(struct p2m *p, struct p2m_mid *mid)
{
	if (mid->pooled) {
		p2m_seg_mid_put(p, mid);
		return;
	}
	mid->magic = P2M_MAGIC_DEAD;
	free(mid);
}

/* A mid with its page of slots: slots[], then lin[] and lsrc[] for
 * implicit leaves. */
static size_t mid_bytes(const struct p2m *p)
{
	return sizeof(struct p2m_mid) + 2 * (size_t)p->per_mid * sizeof(uint64_t *) + p->per_mid;
}

/* A mid page for top slot @t (~0: a shared one); @segs: one kept as
 * segments, without slots. */
static struct p2m_mid *mid_alloc(struct p2m *p, enum p2m_src src, bool segs, uint64_t t,
				 struct p2msim_err *err)
{
	struct p2m_mid *mid;
	uint64_t mfn;

	if (p2m_charge(p, src, err) < 0)
		return NULL;
	/* every caller fills the slots, and lin[m] and lsrc[m] are read only
	 * once slot m is implicit, so only the header is cleared */
	mid = segs ? p2m_seg_mid_get(p) : malloc(mid_bytes(p));
	if (mid) {
		memset(mid, 0, sizeof(*mid));
		mid->pooled = segs;
	}
	if (!mid) {
		p2msim_err_set(err, -ENOMEM,
			       "no memory left for another P2M mid page (%llu held, "
			       "one for each %llu GiB of pfns in use)",
			       (unsigned long long)(p->nr_mid[0] + p->nr_mid[1] + p->nr_mid[2]),
			       (unsigned long long)(p2m_mid_span(p) >> 18));
		goto undo;
	}
	if (t != ~0ULL && p->leaf_frames_positional) {
		mfn = p2m_mid_pos_mfn(p, t);
	} else {
		if (p2m_page_frame(p, &mfn, err) < 0)
			goto undo_free;
		if (p2m_frames_add(p, mfn, P2M_FRAME_OTHER, mid) < 0) {
			p2msim_err_set(err, -ENOMEM, "out of memory indexing a P2M mid page");
			if (p->cfg.frames)
				p->cfg.frames->free(p->cfg.frames_ctx, mfn);
			goto undo_free;
		}
	}
	mid->magic = P2M_MAGIC_MID;
	mid->src = src;
	mid->mfn = mfn;
	p->nr_mid[src]++;
	return mid;

undo_free:
	mid_free(p, mid);
undo:
	if (src == P2M_SRC_BRK)
		p->brk_used--;
	p->allocs--;
	return NULL;
}

static void mid_release(struct p2m *p, struct p2m_mid *mid)
{
	p2m_mirror_detach(p, mid);
	if (!p->leaf_frames_positional)
		p2m_frames_del(p, mid->mfn);
	p->nr_mid[mid->src]--;
	p2m_uncharge(p, mid->src, mid->mfn);
	mid_free(p, mid);
}

/* The kernel frees the private page of implicit leaf @m. */
static void linear_release(struct p2m *p, struct p2m_mid *mid, unsigned int m)
{
	enum p2m_src src = p2m_mid_lsrc(p, mid)[m];

	p->nr_leaf[src]--;
	p->nr_implicit--;
	p2m_uncharge(p, src, p2m_slot_mfn(p, mid, m));
}

/* Free a private mid and every private leaf under it. */
static void mid_release_tree(struct p2m *p, struct p2m_mid *mid)
{
	for (unsigned int i = 0; i < mid->nr_segs; i++) {
		const struct p2m_seg *sg = &mid->segs[i];
		uint64_t n = p2m_seg_end(p, mid, i) - sg->start;

		if (sg->kind != P2M_SEG_LINEAR && sg->kind != P2M_SEG_EMPTY)
			continue;
		p->nr_leaf[sg->src] -= n;
		if (sg->kind == P2M_SEG_LINEAR)
			p->nr_implicit -= n;
		p->frees += n; /* no frame ops: positional frames */
	}
	if (p2m_mid_is_seg(mid)) {
		mid_release(p, mid);
		return;
	}
	for (unsigned int i = 0; i < p->per_mid; i++)
		if (p2m_slot_is_linear(p, mid, i))
			linear_release(p, mid, i);
		else if (!p2m_leaf_is_shared(p2m_slot_leaf(mid, i)))
			leaf_release(p, p2m_slot_leaf(mid, i));
	mid_release(p, mid);
}

/* --- shared pages ---------------------------------------------------------- */

static struct p2m_leaf *shared_leaf_new(struct p2m *p, struct p2msim_err *err)
{
	struct p2m_leaf *leaf = leaf_alloc(p, p->cur_src, 0, true, err);

	if (!leaf)
		return NULL;
	/* Shared pages are not private pages: move the charge. */
	p->nr_leaf[leaf->src]--;
	p->nr_shared++;
	leaf->shared = 1;
	leaf->base = 0;
	for (unsigned int i = 0; i < p->per_leaf; i++)
		leaf->e[i] = p->g->invalid;
	leaf->nr_missing = p->per_leaf;
	leaf->nr_identity = 0;
	leaf->nr_breaks = p->per_leaf - 1;
	return leaf;
}

/* The marker implicit leaves point at: no kernel page, so neither
 * charged nor given a frame; its entries are never read. */
static struct p2m_leaf *linear_marker_new(struct p2m *p, struct p2msim_err *err)
{
	struct p2m_leaf *leaf = p2m_arena_get(p);

	if (!leaf) {
		p2msim_err_set(err, -ENOMEM, "out of memory allocating a P2M leaf");
		return NULL;
	}
	leaf->magic = P2M_MAGIC_LEAF;
	leaf->shared = 1;
	leaf->src = P2M_SRC_HEAP;
	leaf->base = 0;
	leaf->mfn = 0;
	for (unsigned int i = 0; i < p->per_leaf; i++)
		leaf->e[i] = p->g->invalid;
	leaf->nr_missing = 0;
	leaf->nr_identity = 0;
	leaf->nr_breaks = 0;
	return leaf;
}

static struct p2m_mid *shared_mid_new(struct p2m *p, struct p2m_leaf *fill, struct p2msim_err *err)
{
	struct p2m_mid *mid = mid_alloc(p, p->cur_src, false, ~0ULL, err);

	if (!mid)
		return NULL;
	p->nr_mid[mid->src]--;
	p->nr_shared++;
	mid->shared = 1;
	for (unsigned int i = 0; i < p->per_mid; i++)
		mid->slots[i] = fill->e;
	mid->nr_missing = fill == p->missing ? p->per_mid : 0;
	mid->nr_identity = fill == p->identity ? p->per_mid : 0;
	return mid;
}

static void shared_leaf_free(struct p2m *p, struct p2m_leaf *leaf)
{
	if (!leaf)
		return;
	p2m_frames_del(p, leaf->mfn);
	p->frees++;
	if (p->cfg.frames)
		p->cfg.frames->free(p->cfg.frames_ctx, leaf->mfn);
	p2m_arena_put(p, leaf);
}

static void shared_mid_free(struct p2m *p, struct p2m_mid *mid)
{
	if (!mid)
		return;
	p2m_frames_del(p, mid->mfn);
	p->frees++;
	if (p->cfg.frames)
		p->cfg.frames->free(p->cfg.frames_ctx, mid->mfn);
	mid_free(p, mid);
}

/* The leaf directory (p2m.h) is mapped memory: zero until written. */
static void dir_unmap(struct p2m *p)
{
	if (p->v.dir)
		munmap(p->v.dir, p->v.dir_n * sizeof(p->v.dir[0]));
	p->v.dir = NULL;
	p->v.dir_n = 0;
}

/* --- construction ----------------------------------------------------------- */

static int size_top(struct p2m *p, struct p2msim_err *err)
{
	const struct p2m_config *cfg = &p->cfg;
	uint64_t span = p2m_mid_span(p);

	if (cfg->top_pages) {
		p->v.nr_top = (uint64_t)cfg->top_pages * p->per_top;
	} else {
		if (cfg->nr_pfns == 0)
			return p2msim_err_set(err, -EINVAL, "a P2M needs at least one pfn");
		if (cfg->nr_pfns > (1ULL << P2M_MAX_PFN_SHIFT))
			return p2msim_err_set(
				err, -E2BIG,
				"a P2M of %#llx pfns reaches beyond 52-bit physical "
				"addresses (%#llx pfns), more than x86-64 can address",
				(unsigned long long)cfg->nr_pfns, 1ULL << P2M_MAX_PFN_SHIFT);
		p->v.nr_top = (cfg->nr_pfns + span - 1) / span;
	}
	if (p->v.nr_top > (1ULL << (P2M_MAX_PFN_SHIFT - p->v.mid_span_shift)))
		return p2msim_err_set(err, -E2BIG, "P2M top level of %u pages is too large",
				      cfg->top_pages);
	p->top_pages = (unsigned int)((p->v.nr_top + p->per_top - 1) / p->per_top);
	return 0;
}

static int top_new(struct p2m *p, struct p2msim_err *err)
{
	p->v.top = calloc(p->v.nr_top, sizeof(p->v.top[0]));
	p->top_mfns = calloc(p->top_pages, sizeof(p->top_mfns[0]));
	if (!p->v.top || !p->top_mfns)
		return p2msim_err_set(err, -ENOMEM,
				      "no memory for the P2M's top level: %llu slots "
				      "(%llu KiB) for %#llx pfns",
				      (unsigned long long)p->v.nr_top,
				      (unsigned long long)((p->v.nr_top * sizeof(p->v.top[0])) >>
							   10),
				      (unsigned long long)p2m_capacity(p));
	for (uint64_t i = 0; i < p->v.nr_top; i++)
		p->v.top[i] = p->mid_missing->slots;
	for (unsigned int i = 0; i < p->top_pages; i++) {
		int rc = p2m_charge(p, p->cur_src, err);

		if (rc < 0)
			return rc;
		rc = p2m_page_frame(p, &p->top_mfns[i], err);
		if (rc < 0)
			return rc;
		p->nr_top_src[p->cur_src]++;
	}
	return 0;
}

int p2m_new(struct p2m **out, const struct p2m_config *cfg, struct p2msim_err *err)
{
	struct p2m *p;
	int rc;

	*out = NULL;
	if ((unsigned int)cfg->arch > P2M_ARCH_X86_32)
		return p2msim_err_set(err, -EINVAL, "unknown P2M architecture %d", cfg->arch);
	p = calloc(1, sizeof(*p));
	if (!p)
		return p2msim_err_set(err, -ENOMEM, "out of memory allocating a P2M");
	p->cfg = *cfg;
	p->g = p2m_geometry_of(cfg->arch);
	p->per_leaf = 1u << p->g->leaf_shift;
	p->per_mid = 1u << p->g->mid_shift;
	p->per_top = 1u << p->g->top_shift;
	p->v.leaf_shift = p->g->leaf_shift;
	p->v.mid_span_shift = p->g->leaf_shift + p->g->mid_shift;
	p->v.leaf_mask = p->per_leaf - 1;
	p->v.mid_mask = p->per_mid - 1;
	p->v.identity_bit = p->g->identity_bit;
	p->next_synthetic_mfn = p->g->max_mfn;
	p->cur_src = cfg->shared_from_brk ? P2M_SRC_BRK : P2M_SRC_HEAP;

	rc = size_top(p, err);
	if (rc < 0)
		goto fail;
	/* Leaf pages numbered by place: the lower half of the frame numbers,
	 * far below the synthetic frames counting down from the top. */
	p->leaf_frame_base = (p->g->max_mfn + 1) / 2;
	p->leaf_frames_positional = !cfg->frames &&
				    (p->v.nr_top << p->g->mid_shift) <= p->leaf_frame_base / 2;
	p->implicit = p->leaf_frames_positional && !cfg->materialise;
	rc = -ENOMEM;
	p->linear = linear_marker_new(p, err);
	if (!p->linear)
		goto fail;
	p->v.linear = p->linear->e;
	p->missing = shared_leaf_new(p, err);
	if (!p->missing)
		goto fail;
	p->mid_missing = shared_mid_new(p, p->missing, err);
	if (!p->mid_missing)
		goto fail;
	rc = p2m_mirror_init(p, err); /* mid_missing_mfn, top_mfn, top_mfn_p */
	if (rc < 0)
		goto fail;
	rc = top_new(p, err);
	if (rc < 0)
		goto fail;
	rc = -ENOMEM;
	p->identity = shared_leaf_new(p, err);
	if (!p->identity)
		goto fail;
	p->v.identity = p->identity->e;
	if (cfg->mid_identity) {
		p->mid_identity = shared_mid_new(p, p->identity, err);
		if (!p->mid_identity)
			goto fail;
	}
	for (uint64_t i = 0; i < p->mirror_entries; i++)
		p2m_mirror_set_top(p, i);
	p->cur_src = P2M_SRC_HEAP;
	*out = p;
	return 0;

fail:
	if (err && !err->code)
		p2msim_err_set(err, rc, "cannot create the P2M");
	p2m_free(p);
	return rc;
}

void p2m_free(struct p2m *p)
{
	if (!p)
		return;
	if (p->v.top) {
		for (uint64_t i = 0; i < p->v.nr_top; i++) {
			struct p2m_mid *mid = p->v.top[i] ? p2m_top_mid(p, i) : NULL;

			/* a mid kept as segments with no mirror page owns
			 * nothing but its header, which goes with the pool;
			 * its frames go back only where someone takes them */
			if (!mid || p2m_mid_is_shared(mid) ||
			    (p2m_mid_is_seg(mid) && !p2m_mid_has_mirror(mid) && !p->cfg.frames))
				continue;
			mid_release_tree(p, mid);
		}
	}
	p2m_mirror_fini(p);
	shared_mid_free(p, p->mid_identity);
	shared_mid_free(p, p->mid_missing);
	shared_leaf_free(p, p->identity);
	shared_leaf_free(p, p->missing);
	if (p->cfg.frames && p->top_mfns)
		for (unsigned int i = 0; i < p->top_pages; i++)
			if (p->top_mfns[i])
				p->cfg.frames->free(p->cfg.frames_ctx, p->top_mfns[i]);
	free(p->top_mfns);
	free(p->v.top);
	dir_unmap(p);
	free(p->frames.slots);
	p2m_arena_fini(p);
	free(p);
}

const struct p2m_geometry *p2m_geometry(const struct p2m *p)
{
	return p->g;
}

uint64_t p2m_capacity(const struct p2m *p)
{
	return p->v.nr_top << p->v.mid_span_shift;
}

void p2m_set_compact(struct p2m *p, bool on)
{
	p->cfg.compact = on;
}

void p2m_set_alloc_src(struct p2m *p, enum p2m_src src)
{
	p->cur_src = src;
}

enum p2m_src p2m_alloc_src(const struct p2m *p)
{
	return p->cur_src;
}

/* --- lookups ---------------------------------------------------------------- */

uint64_t p2m_get(const struct p2m *p, uint64_t pfn)
{
	uint64_t t = p2m_top_index(p, pfn);
	const uint64_t *leaf;

	if (t >= p->v.nr_top)
		return p->cfg.beyond_is_identity ? p2m_identity_frame(p->g, pfn) : p->g->invalid;
	if ((uintptr_t)p->v.top[t] & 1) {
		const struct p2m_mid *mid = p2m_top_mid(p, t);
		const struct p2m_seg *sg = &mid->segs[p2m_seg_of(mid, p2m_mid_index(p, pfn))];

		if (sg->kind == P2M_SEG_LINEAR)
			return sg->v0 +
			       (pfn - mid->base - ((uint64_t)sg->start << p->v.leaf_shift));
		if (sg->kind == P2M_SEG_IDENTITY)
			return p2m_identity_frame(p->g, pfn);
		return p->g->invalid;
	}
	leaf = p->v.top[t][p2m_mid_index(p, pfn)];
	/* The identity page holds INVALID: its address is the information. */
	if (leaf == p->v.identity)
		return p2m_identity_frame(p->g, pfn);
	if (leaf == p->v.linear)
		return p2m_mid_lin(p, p2m_top_mid(p, t))[p2m_mid_index(p, pfn)] + p2m_index(p, pfn);
	return leaf[p2m_index(p, pfn)];
}

uint64_t p2m_pfn_to_mfn(const struct p2m *p, uint64_t pfn)
{
	uint64_t v = p2m_get(p, pfn);

	if (v == p->g->invalid)
		return v;
	return v & ~(p->g->identity_bit | p->g->foreign_bit);
}

enum p2m_type p2m_type_at(const struct p2m *p, uint64_t pfn)
{
	return p2m_value_type(p->g, pfn, p2m_get(p, pfn));
}

/* --- private pages in place of shared ones ----------------------------------- */

static void leaf_count(const struct p2m *p, struct p2m_leaf *leaf, uint64_t pfn, uint64_t v,
		       int delta)
{
	if (v == p->g->invalid)
		leaf->nr_missing += delta;
	else if (p2m_is_identity_value(p, pfn, v))
		leaf->nr_identity += delta;
}

/* Does entry @i not continue entry i - 1?  (0 for the first and past
 * the last.) */
static inline uint32_t leaf_break_at(const struct p2m *p, const struct p2m_leaf *leaf,
				     unsigned int i)
{
	return i > 0 && i < p->per_leaf && leaf->e[i] != leaf->e[i - 1] + 1;
}

static inline void leaf_write(const struct p2m *p, struct p2m_leaf *leaf, unsigned int idx,
			      uint64_t v)
{
	uint64_t pfn = leaf->base + idx;

	leaf_count(p, leaf, pfn, leaf->e[idx], -1);
	leaf->nr_breaks -= leaf_break_at(p, leaf, idx) + leaf_break_at(p, leaf, idx + 1);
	leaf->e[idx] = v;
	leaf->nr_breaks += leaf_break_at(p, leaf, idx) + leaf_break_at(p, leaf, idx + 1);
	leaf_count(p, leaf, pfn, v, +1);
}

/* The counters of @leaf from its values. */
static void leaf_recount(const struct p2m *p, struct p2m_leaf *leaf)
{
	uint32_t missing = 0, identity = 0, breaks = 0;

	for (unsigned int i = 0; i < p->per_leaf; i++) {
		uint64_t v = leaf->e[i];

		missing += v == p->g->invalid;
		identity += p2m_is_identity_value(p, leaf->base + i, v);
		breaks += i && v != leaf->e[i - 1] + 1;
	}
	leaf->nr_missing = missing;
	leaf->nr_identity = identity;
	leaf->nr_breaks = breaks;
}

/* --- the leaf directory ------------------------------------------------------ */

/* Entries [m0, m1) of top slot @t from the tree, where the directory
 * covers them. */
static void dir_fill(struct p2m *p, uint64_t t, unsigned int m0, unsigned int m1)
{
	unsigned int ds = p2m_dir_leaf_shift(p);
	uint64_t k = ((t << p->g->mid_shift) + m0) << ds;

	if (k >= p->v.dir_n)
		return;
	for (unsigned int m = m0; m < m1; m++) {
		uint64_t want = p2m_dir_want(p, t, m);

		for (unsigned int h = 0; h < 1u << ds; h++)
			p->v.dir[k] = p2m_dir_part(want, h, k), k++;
	}
}

/* Cover the leaves [0, need) if the bound allows: a guest of up to
 * P2M_DIR_MIN leaves whole, a larger one doubling as far as @need asks.
 * Filled from the tree, not copied, so that only the entries of private
 * mids are ever touched (mapped memory reads as zero until written).
 * Best effort: a leaf left out is found by p2m_get(). */
static void dir_grow(struct p2m *p, uint64_t need)
{
	uint64_t limit = p2m_dir_limit(p), n = 2 * p->v.dir_n;
	void *dir;

	if (need > limit)
		return;
	if (n < need)
		n = need;
	if (n > limit || limit <= P2M_DIR_MIN)
		n = limit;
	dir = mmap(NULL, n * sizeof(p->v.dir[0]), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dir == MAP_FAILED)
		return;
	dir_unmap(p);
	p->v.dir = dir;
	p->v.dir_n = n;
	for (uint64_t t = 0; t < n >> (p->g->mid_shift + p2m_dir_leaf_shift(p)); t++)
		if (!p2m_mid_is_shared(p2m_top_mid(p, t)))
			dir_fill(p, t, 0, p->per_mid);
}

/* Slot @m of @mid changed: its entry follows, if @mid is the installed
 * private mid of its top slot. */
static void dir_set_slot(struct p2m *p, const struct p2m_mid *mid, unsigned int m)
{
	uint64_t t = p2m_top_index(p, mid->base);

	if (!p2m_mid_is_shared(mid) && p->v.top[t] == mid->slots)
		dir_fill(p, t, m, m + 1);
}

/* Top slot @t changed from @old: a private mid with its page of slots
 * makes the directory grow to cover it (mids kept as segments, whole
 * runs, get entries where it reaches anyway). */
static void dir_set_top(struct p2m *p, uint64_t t, const struct p2m_mid *old)
{
	const struct p2m_mid *mid = p2m_top_mid(p, t);
	uint64_t end = ((t + 1) << p->g->mid_shift) << p2m_dir_leaf_shift(p);

	if (p2m_mid_is_shared(mid) && p2m_mid_is_shared(old))
		return; /* 0 before and after */
	if (!p2m_mid_is_shared(mid) && !p2m_mid_is_seg(mid) && end > p->v.dir_n)
		dir_grow(p, end);
	dir_fill(p, t, 0, p->per_mid);
}

/* Point mid slot @m at @leaf, keeping the counters and the mirror. */
static void mid_set_slot(struct p2m *p, struct p2m_mid *mid, unsigned int m, struct p2m_leaf *leaf,
			 bool update_mirror)
{
	struct p2m_leaf *old = p2m_slot_leaf(mid, m);

	if (old == p->missing)
		mid->nr_missing--;
	else if (old == p->identity)
		mid->nr_identity--;
	mid->slots[m] = leaf->e;
	if (leaf == p->missing)
		mid->nr_missing++;
	else if (leaf == p->identity)
		mid->nr_identity++;
	dir_set_slot(p, mid, m);
	if (update_mirror)
		p2m_mirror_set_slot(p, mid, m);
}

static void top_set(struct p2m *p, uint64_t t, struct p2m_mid *mid)
{
	const struct p2m_mid *old = p2m_top_mid(p, t);

	p->v.top[t] = p2m_mid_is_seg(mid) ? (uint64_t **)(void *)((uintptr_t)mid | 1) : mid->slots;
	dir_set_top(p, t, old);
	if (t < p->mirror_entries)
		p2m_mirror_set_top(p, t);
}

/* --- mids kept as segments ------------------------------------------------------ */

/* Merge neighbouring segments that say the same thing. */
void p2m_mid_segs_merge(const struct p2m *p, struct p2m_mid *mid)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < mid->nr_segs; i++) {
		struct p2m_seg *last = n ? &mid->segs[n - 1] : NULL, *sg = &mid->segs[i];

		if (last && last->kind == sg->kind && last->mirror_missing == sg->mirror_missing &&
		    (sg->kind == P2M_SEG_EMPTY ?
			     last->src == sg->src :
			     sg->kind != P2M_SEG_LINEAR ||
				     (last->src == sg->src &&
				      last->v0 + ((uint64_t)(sg->start - last->start)
						  << p->g->leaf_shift) ==
					      sg->v0)))
			continue;
		mid->segs[n++] = *sg;
	}
	mid->nr_segs = (uint8_t)n;
}

/* The mid of top slot @t, kept as segments, as a page of slots: the same
 * kernel page and mid_mfn page stored another way, nothing charged. */
static struct p2m_mid *mid_unseg(struct p2m *p, uint64_t t, struct p2msim_err *err)
{
	struct p2m_mid *seg = p2m_top_mid(p, t), *mid = malloc(mid_bytes(p));
	uint64_t *mirror = seg->seg_mirror ? malloc((size_t)p->per_mid * sizeof(*mirror)) : NULL;
	struct p2m_leaf *empty[1u << 10];
	unsigned int nr_empty = 0, used = 0;

	/* empty leaves become pages of values: take them all first */
	for (unsigned int i = 0; mid && i < seg->nr_segs; i++) {
		if (seg->segs[i].kind != P2M_SEG_EMPTY)
			continue;
		for (unsigned int m = seg->segs[i].start; m < p2m_seg_end(p, seg, i); m++) {
			empty[nr_empty] = p2m_arena_get(p);
			if (!empty[nr_empty])
				goto nomem;
			nr_empty++;
		}
	}
	if (!mid || (seg->seg_mirror && !mirror)) {
	nomem:
		while (nr_empty > 0)
			p2m_arena_put(p, empty[--nr_empty]);
		free(mid);
		free(mirror);
		p2msim_err_set(err, -ENOMEM,
			       "out of memory giving the P2M mid of pfn %#llx its "
			       "page of slots (%zu KiB of this machine's memory)",
			       (unsigned long long)seg->base, mid_bytes(p) >> 10);
		return NULL;
	}
	*mid = *seg;
	mid->pooled = 0;
	mid->nr_segs = 0;
	mid->seg_mirror = 0;
	for (unsigned int i = 0; i < seg->nr_segs; i++) {
		const struct p2m_seg *sg = &seg->segs[i];

		for (unsigned int m = sg->start; m < p2m_seg_end(p, seg, i); m++) {
			uint64_t lbase = seg->base + ((uint64_t)m << p->g->leaf_shift);

			if (sg->kind == P2M_SEG_LINEAR) {
				mid->slots[m] = p->linear->e;
				p2m_mid_lin(p, mid)[m] =
					sg->v0 + ((uint64_t)(m - sg->start) << p->g->leaf_shift);
				p2m_mid_lsrc(p, mid)[m] = sg->src;
			} else if (sg->kind == P2M_SEG_EMPTY) {
				struct p2m_leaf *leaf = empty[used++];

				leaf->magic = P2M_MAGIC_LEAF;
				leaf->shared = 0;
				leaf->src = sg->src;
				leaf->base = lbase;
				leaf->mfn = p2m_leaf_pos_mfn(p, lbase);
				for (unsigned int j = 0; j < p->per_leaf; j++)
					leaf->e[j] = p->g->invalid;
				leaf->nr_missing = p->per_leaf;
				leaf->nr_identity = 0;
				leaf->nr_breaks = p->per_leaf - 1;
				mid->slots[m] = leaf->e;
			} else {
				mid->slots[m] = sg->kind == P2M_SEG_MISSING ? p->missing->e :
									      p->identity->e;
			}
			if (mirror)
				mirror[m] = p2m_seg_mirror_value(p, sg, lbase);
		}
	}
	mid->mirror = mirror;
	if (mirror && !p->leaf_frames_positional)
		p2m_frames_repoint(p, mid->mirror_mfn, P2M_FRAME_MID_MFN, mirror);
	if (!p->leaf_frames_positional)
		p2m_frames_repoint(p, mid->mfn, P2M_FRAME_OTHER, mid);
	top_set(p, t, mid);
	mid_free(p, seg);
	return mid;
}

/* A mid kept as segments for top slot @t, all of one segment like @whole
 * as it starts (its mirror page is attached so), not yet in the top. */
static inline struct p2m_mid *seg_mid_new(struct p2m *p, uint64_t t, enum p2m_src src,
					  struct p2m_seg whole, struct p2msim_err *err)
{
	struct p2m_mid *mid = mid_alloc(p, src, true, t, err);

	if (!mid)
		return NULL;
	mid->base = p2m_mid_base(p, t);
	mid->nr_segs = 1;
	whole.start = 0;
	mid->segs[0] = whole;
	if (t < p->mirror_entries && p2m_mirror_attach(p, mid, err) < 0) {
		mid_release(p, mid);
		return NULL;
	}
	return mid;
}

/* @n implicit leaves charged to @src: pages of the kernel's, kept as runs. */
static void charge_implicit(struct p2m *p, enum p2m_src src, uint64_t n)
{
	p->allocs += n;
	if (src == P2M_SRC_BRK)
		p->brk_used += n;
	p->nr_leaf[src] += n;
	p->nr_implicit += n;
}

/*
 * Fill [s, e) of top slot @t, whole leaves, keeping the mid as segments (a
 * shared mid becomes a private one kept so): the pages charged and freed
 * are those range_leaf() would charge and free, but nothing is stored per
 * leaf.  1 when done; 0 when the mid needs its page of slots for this (the
 * caller goes that way, where a charge that cannot be made fails at the
 * page it would); < 0 on error.
 */
static int range_mid_segs(struct p2m *p, uint64_t t, uint64_t s, uint64_t e, enum p2m_fill fill,
			  uint64_t rs, uint64_t mfn, bool share, struct p2msim_err *err)
{
	struct p2m_mid *mid = p2m_top_mid(p, t);
	struct p2m_seg cur[P2M_MAX_SEGS], out[P2M_MAX_SEGS];
	uint64_t base = p2m_mid_base(p, t), charge = 0, freed[P2M_NR_SRCS] = { 0 };
	uint64_t freed_empty[P2M_NR_SRCS] = { 0 }, unlinked[P2M_NR_SRCS] = { 0 }, relinked = 0;
	unsigned int ls = p->g->leaf_shift, nc, no = 0, ms, me;
	enum p2m_src src = p->cur_src;
	bool fresh = p2m_mid_is_shared(mid);
	uint32_t missing = 0, identity = 0;

	/* without sharing, INVALID over private leaves keeps them (empty) */
	bool keep = fill == P2M_FILL_MISSING && !share;

	if (!p->implicit || ((s | e) & p->v.leaf_mask) || (fill == P2M_FILL_IDENTITY && !share))
		return 0;
	if ((!fresh && !p2m_mid_is_seg(mid)) || (keep && fresh))
		return 0;
	if (fill == P2M_FILL_MFN) {
		uint64_t v = mfn + (s - rs), w = mfn + (e - p->per_leaf - rs);
		uint64_t flags = p->g->foreign_bit | p->g->identity_bit;

		if (!p2m_linear_base_ok(p, v) || !p2m_linear_base_ok(p, w) || ((v ^ w) & flags))
			return 0;
	}
	ms = (unsigned int)((s - base) >> ls);
	me = (unsigned int)((e - base) >> ls);
	if (fresh) {
		nc = 1;
		cur[0] = (struct p2m_seg){ .start = 0,
					   .mirror_missing = 1,
					   .kind = mid->nr_identity == p->per_mid ?
							   P2M_SEG_IDENTITY :
							   P2M_SEG_MISSING };
	} else {
		nc = mid->nr_segs;
		memcpy(cur, mid->segs, nc * sizeof(cur[0]));
	}
	for (unsigned int i = 0; i < nc; i++) {
		unsigned int a = cur[i].start, b = i + 1 < nc ? cur[i + 1].start : p->per_mid;
		unsigned int cut[4] = { a, a > ms ? a : ms, b < me ? b : me, b };

		if (cut[1] > b)
			cut[1] = b;
		if (cut[2] < cut[1])
			cut[2] = cut[1];
		for (unsigned int k = 0; k < 3; k++) {
			struct p2m_seg sg = cur[i];
			unsigned int n = cut[k + 1] - cut[k];

			if (!n)
				continue;
			sg.start = (uint16_t)cut[k];
			if (sg.kind == P2M_SEG_LINEAR)
				sg.v0 += (uint64_t)(cut[k] - a) << ls;
			if (k == 1 && fill == P2M_FILL_MFN) {
				if (sg.kind == P2M_SEG_EMPTY) {
					/* the kernel's pages already: they
					 * hold frames again, charged as before */
					relinked += n;
				} else if (sg.kind != P2M_SEG_LINEAR) {
					charge += n;
					sg.src = (uint8_t)src;
				}
				sg.kind = P2M_SEG_LINEAR;
				sg.v0 = mfn + (base + ((uint64_t)cut[k] << ls) - rs);
				sg.mirror_missing = 0;
			} else if (k == 1 && keep) {
				/* the shared missing leaf stays; a copy of identity
				 * would be new pages: the page-by-page way */
				if (sg.kind == P2M_SEG_IDENTITY)
					return 0;
				if (sg.kind == P2M_SEG_LINEAR) {
					unlinked[sg.src] += n;
					sg.kind = P2M_SEG_EMPTY;
					sg.v0 = 0;
				}
			} else if (k == 1 &&
				   sg.kind != (fill == P2M_FILL_MISSING ? P2M_SEG_MISSING :
									  P2M_SEG_IDENTITY)) {
				if (sg.kind == P2M_SEG_LINEAR)
					freed[sg.src] += n;
				else if (sg.kind == P2M_SEG_EMPTY)
					freed_empty[sg.src] += n;
				sg.kind = fill == P2M_FILL_MISSING ? P2M_SEG_MISSING :
								     P2M_SEG_IDENTITY;
				sg.mirror_missing = fill == P2M_FILL_MISSING;
				sg.v0 = 0;
				sg.src = 0;
			}
			if (no && out[no - 1].kind == sg.kind &&
			    out[no - 1].mirror_missing == sg.mirror_missing &&
			    (sg.kind == P2M_SEG_EMPTY ?
				     out[no - 1].src == sg.src :
				     sg.kind != P2M_SEG_LINEAR ||
					     (out[no - 1].src == sg.src &&
					      out[no - 1].v0 + ((uint64_t)(sg.start -
									   out[no - 1].start)
								<< ls) ==
						      sg.v0)))
				continue;
			if (no == P2M_MAX_SEGS)
				return 0;
			out[no++] = sg;
		}
	}
	/* The brk pool is bounded: let the page-by-page way fail where it would. */
	if (src == P2M_SRC_BRK && p->cfg.brk_pages &&
	    p->brk_used + charge + (fresh ? 2 : 0) > p->cfg.brk_pages)
		return 0;
	if (fresh && !(mid = seg_mid_new(p, t, src, cur[0], err)))
		return err ? err->code : -ENOMEM;
	charge_implicit(p, src, charge);
	p->nr_implicit += relinked;
	for (int k = 0; k < P2M_NR_SRCS; k++) {
		p->nr_leaf[k] -= freed[k] + freed_empty[k];
		p->nr_implicit -= freed[k] + unlinked[k];
		p->frees += freed[k] + freed_empty[k];
	}
	memcpy(mid->segs, out, no * sizeof(out[0]));
	mid->nr_segs = (uint8_t)no;
	if (!fresh)
		dir_fill(p, t, ms, me);
	for (unsigned int i = 0; i < no; i++) {
		uint32_t n = p2m_seg_end(p, mid, i) - out[i].start;

		if (out[i].kind == P2M_SEG_MISSING)
			missing += n;
		else if (out[i].kind == P2M_SEG_IDENTITY)
			identity += n;
	}
	mid->nr_missing = missing;
	mid->nr_identity = identity;
	if (fresh)
		top_set(p, t, mid);
	return 1;
}

/* The top slot @t as a private mid with its page of slots, copying a
 * shared mid if needed. */
static struct p2m_mid *mid_private(struct p2m *p, uint64_t t, struct p2msim_err *err)
{
	struct p2m_mid *shared = p2m_top_mid(p, t), *mid;

	if (p2m_mid_is_seg(shared))
		return mid_unseg(p, t, err);
	if (!p2m_mid_is_shared(shared))
		return shared;
	mid = mid_alloc(p, p->cur_src, false, t, err);
	if (!mid)
		return NULL;
	mid->base = p2m_mid_base(p, t);
	for (unsigned int i = 0; i < p->per_mid; i++)
		mid->slots[i] = shared->slots[i];
	mid->nr_missing = shared->nr_missing;
	mid->nr_identity = shared->nr_identity;
	if (t < p->mirror_entries && p2m_mirror_attach(p, mid, err) < 0) {
		mid_release(p, mid);
		return NULL;
	}
	top_set(p, t, mid);
	return mid;
}

/* Implicit leaf @m as a page of values: the same kernel page (source,
 * frame), stored another way; nothing is charged. */
static struct p2m_leaf *leaf_materialise(struct p2m *p, struct p2m_mid *mid, unsigned int m,
					 struct p2msim_err *err)
{
	uint64_t base = mid->base + ((uint64_t)m << p->g->leaf_shift);
	uint64_t v0 = p2m_mid_lin(p, mid)[m];
	struct p2m_leaf *leaf = p2m_arena_get(p);

	if (!leaf) {
		p2msim_err_set(err, -ENOMEM,
			       "out of memory materialising the P2M leaf of pfn %#llx "
			       "(a page of this machine's memory for 2 MiB of the guest's)",
			       (unsigned long long)base);
		return NULL;
	}
	leaf->magic = P2M_MAGIC_LEAF;
	leaf->shared = 0;
	leaf->src = p2m_mid_lsrc(p, mid)[m];
	leaf->base = base;
	leaf->mfn = p2m_leaf_pos_mfn(p, base);
	for (unsigned int i = 0; i < p->per_leaf; i++)
		leaf->e[i] = v0 + i;
	leaf->nr_missing = 0;
	leaf->nr_identity = 0;
	leaf->nr_breaks = 0;
	p->nr_implicit--;
	mid_set_slot(p, mid, m, leaf, false); /* same frame: the mirror stands */
	return leaf;
}

/* Slot @m becomes an implicit leaf whose first value is @v0: a new
 * private page where the slot was shared, the same page kept another way
 * where it was private. */
static int leaf_set_linear(struct p2m *p, struct p2m_mid *mid, unsigned int m, uint64_t v0,
			   struct p2msim_err *err)
{
	struct p2m_leaf *old = p2m_slot_leaf(mid, m);
	enum p2m_src src;

	if (p2m_slot_is_linear(p, mid, m)) {
		p2m_mid_lin(p, mid)[m] = v0;
		dir_set_slot(p, mid, m);
		return 0;
	}
	if (p2m_leaf_is_shared(old)) {
		int rc = p2m_charge(p, p->cur_src, err);

		if (rc < 0)
			return rc;
		src = p->cur_src;
		p->nr_leaf[src]++;
	} else {
		src = old->src;
	}
	p2m_mid_lin(p, mid)[m] = v0;
	p2m_mid_lsrc(p, mid)[m] = (uint8_t)src;
	p->nr_implicit++;
	mid_set_slot(p, mid, m, p->linear, true);
	if (!p2m_leaf_is_shared(old))
		p2m_arena_put(p, old);
	return 0;
}

/* Mid slot @m as a private leaf, copying a shared leaf if needed. */
static struct p2m_leaf *leaf_private(struct p2m *p, struct p2m_mid *mid, unsigned int m,
				     struct p2msim_err *err)
{
	struct p2m_leaf *shared = p2m_slot_leaf(mid, m), *leaf;
	bool identity;

	if (p2m_slot_is_linear(p, mid, m))
		return leaf_materialise(p, mid, m, err);
	if (!p2m_leaf_is_shared(shared))
		return shared;
	leaf = leaf_alloc(p, p->cur_src, mid->base + ((uint64_t)m << p->g->leaf_shift), false, err);
	if (!leaf)
		return NULL;
	/* modern: a copy of identity keeps identity values; 2.6.39-3.18
	 * alloc_p2m filled every new leaf with INVALID. */
	identity = shared == p->identity && p->cfg.cow_identity_fill;
	for (unsigned int i = 0; i < p->per_leaf; i++)
		leaf->e[i] = identity ? p2m_identity_frame(p->g, leaf->base + i) : p->g->invalid;
	leaf->nr_missing = identity ? 0 : p->per_leaf;
	leaf->nr_identity = identity ? p->per_leaf : 0;
	/* identity values continue each other; INVALID ones do not */
	leaf->nr_breaks = identity ? 0 : p->per_leaf - 1;
	mid_set_slot(p, mid, m, leaf, true);
	return leaf;
}

/* Replace mid slot @m with shared leaf @shared, freeing a private leaf. */
static void leaf_share(struct p2m *p, struct p2m_mid *mid, unsigned int m, struct p2m_leaf *shared)
{
	struct p2m_leaf *old = p2m_slot_leaf(mid, m);

	if (old == shared)
		return;
	if (p2m_slot_is_linear(p, mid, m))
		linear_release(p, mid, m);
	mid_set_slot(p, mid, m, shared, true);
	if (!p2m_leaf_is_shared(old))
		leaf_release(p, old);
}

/* Replace top slot @t with shared mid @shared, freeing the private tree. */
static void mid_share(struct p2m *p, uint64_t t, struct p2m_mid *shared)
{
	struct p2m_mid *old = p2m_top_mid(p, t);

	if (old == shared)
		return;
	top_set(p, t, shared);
	if (!p2m_mid_is_shared(old))
		mid_release_tree(p, old);
}

/* --- compaction -------------------------------------------------------------- */

uint64_t p2m_leaf_linear_base(const struct p2m *p, const struct p2m_leaf *leaf)
{
	if (leaf->nr_breaks || leaf->nr_missing || leaf->nr_identity ||
	    !p2m_linear_base_ok(p, leaf->e[0]))
		return p->g->invalid;
	return leaf->e[0];
}

struct p2m_leaf *p2m_leaf_uniform(const struct p2m *p, const struct p2m_leaf *leaf)
{
	if (leaf->nr_missing == p->per_leaf)
		return p->missing;
	if (leaf->nr_identity == p->per_leaf)
		return p->identity;
	return NULL;
}

struct p2m_mid *p2m_mid_uniform(const struct p2m *p, const struct p2m_mid *mid)
{
	if (mid->nr_missing == p->per_mid)
		return p->mid_missing;
	if (mid->nr_identity == p->per_mid)
		return p->mid_identity; /* NULL without the 3.14+ page */
	return NULL;
}

static void fold_leaf(struct p2m *p, struct p2m_mid *mid, unsigned int m)
{
	struct p2m_leaf *leaf = p2m_slot_leaf(mid, m), *shared;

	uint64_t v0;

	if (p2m_leaf_is_shared(leaf))
		return;
	shared = p2m_leaf_uniform(p, leaf);
	if (shared)
		leaf_share(p, mid, m, shared);
	else if (p->implicit && (v0 = p2m_leaf_linear_base(p, leaf)) != p->g->invalid)
		(void)leaf_set_linear(p, mid, m, v0, NULL); /* no charge: cannot fail */
}

static void fold_mid(struct p2m *p, uint64_t t)
{
	struct p2m_mid *mid = p2m_top_mid(p, t), *shared;

	if (p2m_mid_is_shared(mid))
		return;
	if (p2m_mid_is_seg(mid)) {
		bool folded = false;

		/* empty leaves are uniform: they fold to the missing leaf */
		for (unsigned int i = 0; i < mid->nr_segs; i++) {
			struct p2m_seg *sg = &mid->segs[i];
			uint32_t n = p2m_seg_end(p, mid, i) - sg->start;

			if (sg->kind != P2M_SEG_EMPTY)
				continue;
			p->nr_leaf[sg->src] -= n;
			p->frees += n; /* no frame ops: positional frames */
			mid->nr_missing += n;
			sg->kind = P2M_SEG_MISSING;
			sg->mirror_missing = 1;
			sg->src = 0;
			folded = true;
		}
		/* (segments are kept merged: only a fold makes neighbours alike) */
		if (folded)
			p2m_mid_segs_merge(p, mid);
	}
	shared = p2m_mid_uniform(p, mid);
	if (shared)
		mid_share(p, t, shared);
}

uint64_t p2m_compact(struct p2m *p)
{
	uint64_t before = p->frees;

	for (uint64_t t = 0; t < p->v.nr_top; t++) {
		struct p2m_mid *mid = p2m_top_mid(p, t);

		if (p2m_mid_is_shared(mid))
			continue;
		if (!p2m_mid_is_seg(mid))
			for (unsigned int m = 0; m < p->per_mid; m++)
				fold_leaf(p, mid, m);
		fold_mid(p, t);
	}
	return p->frees - before;
}

/* --- single entries ---------------------------------------------------------- */

bool p2m_set_noalloc(struct p2m *p, uint64_t pfn, uint64_t v)
{
	struct p2m_mid *mid;
	struct p2m_leaf *leaf;
	unsigned int m;

	if (pfn >= p2m_capacity(p))
		return v == p->g->invalid;
	mid = p2m_top_mid(p, p2m_top_index(p, pfn));
	m = p2m_mid_index(p, pfn);
	if (p2m_mid_is_seg(mid)) {
		enum p2m_seg_kind kind = mid->segs[p2m_seg_of(mid, m)].kind;

		/* What keeps the value costs nothing; anything else needs the
		 * mid's page of slots. */
		if (kind == P2M_SEG_LINEAR ?
			    v == p2m_get(p, pfn) :
		    kind == P2M_SEG_MISSING || kind == P2M_SEG_EMPTY ?
			    v == p->g->invalid :
			    p2m_is_identity_value(p, pfn, v) ||
				    (p->cfg.invalid_into_identity && v == p->g->invalid))
			return true;
		mid = mid_unseg(p, p2m_top_index(p, pfn), NULL);
		if (!mid)
			return false; /* p2m_set() says why */
	}
	leaf = p2m_slot_leaf(mid, m);

	if (leaf == p->identity) {
		if (p2m_is_identity_value(p, pfn, v))
			return true;
		/* 2.6.39-3.18: INVALID is "written" into the shared identity
		 * page, which already holds INVALID: nothing changes. */
		return p->cfg.invalid_into_identity && v == p->g->invalid;
	}
	if (leaf == p->missing) {
		if (v == p->g->invalid)
			return true;
		/* 2.6.39-3.18: any identity value swaps the whole missing leaf
		 * to the identity page (cmpxchg on the mid slot), leaving the
		 * mirror slot at mfn(p2m_missing). */
		if (p->cfg.identity_into_missing && !p2m_mid_is_shared(mid) &&
		    p2m_value_type(p->g, pfn, v) == P2M_IDENTITY) {
			mid_set_slot(p, mid, m, p->identity, false);
			return true;
		}
		return false;
	}
	if (leaf == p->linear) {
		/* The kernel's page exists: a write that keeps the run costs
		 * nothing, one that breaks it needs the values here. */
		if (v == p2m_mid_lin(p, mid)[m] + p2m_index(p, pfn))
			return true;
		leaf = leaf_materialise(p, mid, m, NULL);
		if (!leaf)
			return false; /* p2m_set() says why */
	}
	leaf_write(p, leaf, p2m_index(p, pfn), v);
	if (p->cfg.compact) {
		fold_leaf(p, mid, m);
		fold_mid(p, p2m_top_index(p, pfn));
	}
	return true;
}

int p2m_set(struct p2m *p, uint64_t pfn, uint64_t v, struct p2msim_err *err)
{
	struct p2m_mid *mid;
	struct p2m_leaf *leaf;
	uint64_t t;
	unsigned int m;

	if (p2m_set_noalloc(p, pfn, v))
		return 0;
	if (pfn >= p2m_capacity(p))
		return p2msim_err_set(err, -ERANGE, "pfn %#llx is beyond the P2M's %#llx pfns",
				      (unsigned long long)pfn, (unsigned long long)p2m_capacity(p));
	t = p2m_top_index(p, pfn);
	m = p2m_mid_index(p, pfn);
	mid = mid_private(p, t, err);
	if (!mid)
		return err ? err->code : -ENOMEM;
	/* With its own mid, a 2.6.39 identity value may now swap the leaf. */
	if (p2m_set_noalloc(p, pfn, v)) {
		if (p->cfg.compact)
			fold_mid(p, t);
		return 0;
	}
	leaf = leaf_private(p, mid, m, err);
	if (!leaf) {
		int rc = err ? err->code : -ENOMEM;

		if (p->cfg.compact)
			fold_mid(p, t);
		return rc;
	}
	leaf_write(p, leaf, p2m_index(p, pfn), v);
	if (p->cfg.compact) {
		fold_leaf(p, mid, m);
		fold_mid(p, t);
	}
	return 0;
}

/* --- ranges ------------------------------------------------------------------- */

static uint64_t fill_value(const struct p2m *p, enum p2m_fill fill, uint64_t pfn, uint64_t s,
			   uint64_t mfn)
{
	switch (fill) {
	case P2M_FILL_MISSING:
		return p->g->invalid;
	case P2M_FILL_IDENTITY:
		return p2m_identity_frame(p->g, pfn);
	case P2M_FILL_MFN:
	default:
		return mfn + (pfn - s);
	}
}

static struct p2m_leaf *fill_shared_leaf(const struct p2m *p, enum p2m_fill fill)
{
	return fill == P2M_FILL_MISSING	 ? p->missing :
	       fill == P2M_FILL_IDENTITY ? p->identity :
					   NULL;
}

static struct p2m_mid *fill_shared_mid(const struct p2m *p, enum p2m_fill fill)
{
	return fill == P2M_FILL_MISSING	 ? p->mid_missing :
	       fill == P2M_FILL_IDENTITY ? p->mid_identity :
					   NULL;
}

/* Fill [s, e) of one leaf slot: a whole leaf becomes the shared page,
 * a part of one is written into a private copy. */
static int range_leaf(struct p2m *p, struct p2m_mid *mid, unsigned int m, uint64_t s, uint64_t e,
		      enum p2m_fill fill, uint64_t rs, uint64_t mfn, bool share,
		      struct p2msim_err *err)
{
	uint64_t base = mid->base + ((uint64_t)m << p->g->leaf_shift);
	struct p2m_leaf *shared = fill_shared_leaf(p, fill), *leaf;

	if (share && shared && s == base && e == base + p->per_leaf) {
		leaf_share(p, mid, m, shared);
		return 0;
	}
	if (shared && p2m_slot_leaf(mid, m) == shared)
		return 0;
	/* A whole leaf of a linear run is kept implicit. */
	if (fill == P2M_FILL_MFN && p->implicit && s == base && e == base + p->per_leaf &&
	    p2m_linear_base_ok(p, mfn + (s - rs)))
		return leaf_set_linear(p, mid, m, mfn + (s - rs), err);
	leaf = leaf_private(p, mid, m, err);
	if (!leaf)
		return err ? err->code : -ENOMEM;
	if (e - s < p->per_leaf / 8) {
		for (uint64_t pfn = s; pfn < e; pfn++)
			leaf_write(p, leaf, (unsigned int)(pfn - base),
				   fill_value(p, fill, pfn, rs, mfn));
	} else {
		/* many values: write them, then count the leaf once */
		for (uint64_t pfn = s; pfn < e; pfn++)
			leaf->e[pfn - base] = fill_value(p, fill, pfn, rs, mfn);
		leaf_recount(p, leaf);
	}
	if (p->cfg.compact)
		fold_leaf(p, mid, m);
	return 0;
}

/* Fill [s, e) inside top slot @t. */
static int range_mid(struct p2m *p, uint64_t t, uint64_t s, uint64_t e, enum p2m_fill fill,
		     uint64_t rs, uint64_t mfn, bool share, struct p2msim_err *err)
{
	uint64_t base = p2m_mid_base(p, t);
	struct p2m_mid *shared = fill_shared_mid(p, fill), *mid;
	int rc = 0;

	if (share && shared && s == base && e == base + p2m_mid_span(p)) {
		mid_share(p, t, shared);
		return 0;
	}
	if (shared && p2m_top_mid(p, t) == shared)
		return 0;
	/* Without mid_identity, a uniform identity mid still needs a page,
	 * but a mid already all identity needs nothing more. */
	if (fill == P2M_FILL_IDENTITY && p2m_mid_is_shared(p2m_top_mid(p, t)) &&
	    p2m_top_mid(p, t)->nr_identity == p->per_mid)
		return 0;
	rc = range_mid_segs(p, t, s, e, fill, rs, mfn, share, err);
	if (rc != 0) {
		if (rc > 0 && p->cfg.compact)
			fold_mid(p, t);
		return rc < 0 ? rc : 0;
	}
	mid = mid_private(p, t, err);
	if (!mid)
		return err ? err->code : -ENOMEM;
	for (uint64_t pfn = s; pfn < e && rc == 0;) {
		unsigned int m = p2m_mid_index(p, pfn);
		uint64_t lend = p2m_leaf_base(p, t, m) + p->per_leaf;

		if (lend > e)
			lend = e;
		rc = range_leaf(p, mid, m, pfn, lend, fill, rs, mfn, share, err);
		pfn = lend;
	}
	if (p->cfg.compact)
		fold_mid(p, t);
	return rc;
}

static int range_minimal(struct p2m *p, uint64_t s, uint64_t e, enum p2m_fill fill, uint64_t mfn,
			 bool share, uint64_t *nr_set, struct p2msim_err *err)
{
	for (uint64_t pfn = s; pfn < e;) {
		uint64_t t = p2m_top_index(p, pfn);
		uint64_t mend = p2m_mid_base(p, t) + p2m_mid_span(p);
		int rc;

		if (mend > e)
			mend = e;
		rc = range_mid(p, t, pfn, mend, fill, s, mfn, share, err);
		if (rc < 0)
			return rc;
		*nr_set += mend - pfn;
		pfn = mend;
	}
	return 0;
}

/* --- runs of frames, a mid at a time ---------------------------------------- */

/* Add @sg after out[0, *no), merging it into a linear segment it
 * continues; false when that would be one segment too many. */
static inline bool segs_push(const struct p2m *p, struct p2m_seg *out, unsigned int *no,
			     struct p2m_seg sg)
{
	struct p2m_seg *last = *no ? &out[*no - 1] : NULL;

	if (last && last->kind == P2M_SEG_LINEAR && sg.kind == P2M_SEG_LINEAR &&
	    last->src == sg.src &&
	    last->v0 + ((uint64_t)(sg.start - last->start) << p->g->leaf_shift) == sg.v0)
		return true;
	if (*no == P2M_MAX_SEGS)
		return false;
	out[(*no)++] = sg;
	return true;
}

/*
 * Top slot @t, still a shared mid, filled by the pieces of runs[i] (from
 * pfn @at on) and of the runs after it that fall inside it: built at once
 * as a mid kept as segments, what range_mid() piece after piece would
 * leave (the same charges, the same mid frame).  1 when built; 0 when a
 * piece is not whole implicit leaves, the pieces (or the pieces so far and
 * the gap after them) need more segments than a mid keeps, or the brk pool
 * is bounded: the caller then goes piece by piece; < 0 on error.
 */
static int mid_from_runs(struct p2m *p, uint64_t t, const struct p2m_frame_run *runs, size_t nr,
			 size_t i, uint64_t at, struct p2msim_err *err)
{
	struct p2m_mid *mid = p2m_top_mid(p, t);
	uint64_t base = p2m_mid_base(p, t), mend = base + p2m_mid_span(p), charge = 0;
	uint64_t flags = p->g->foreign_bit | p->g->identity_bit;
	unsigned int ls = p->g->leaf_shift, no = 0, m = 0;
	enum p2m_src src = p->cur_src;
	struct p2m_seg out[P2M_MAX_SEGS] = { 0 }, gap;

	if (!p->implicit || !p2m_mid_is_shared(mid) || (src == P2M_SRC_BRK && p->cfg.brk_pages))
		return 0;
	gap = (struct p2m_seg){ .mirror_missing = 1,
				.kind = mid->nr_identity == p->per_mid ? P2M_SEG_IDENTITY :
									 P2M_SEG_MISSING };
	for (size_t j = i; j < nr; j++) {
		uint64_t s = j == i ? at : runs[j].pfn, e = runs[j].pfn + runs[j].n, v, w;

		if (!runs[j].n)
			continue;
		if (s >= mend)
			break;
		if (e > mend)
			e = mend;
		if ((s | e) & p->v.leaf_mask)
			return 0;
		v = runs[j].mfn + (s - runs[j].pfn);
		w = v + (e - s - p->per_leaf);
		if (!p2m_linear_base_ok(p, v) || !p2m_linear_base_ok(p, w) || ((v ^ w) & flags))
			return 0;
		gap.start = (uint16_t)m;
		if ((unsigned int)((s - base) >> ls) > m && !segs_push(p, out, &no, gap))
			return 0;
		m = (unsigned int)((s - base) >> ls);
		if (!segs_push(p, out, &no,
			       (struct p2m_seg){ .start = (uint16_t)m,
						 .kind = P2M_SEG_LINEAR,
						 .src = (uint8_t)src,
						 .v0 = v }))
			return 0;
		charge += (e - s) >> ls;
		m = (unsigned int)((e - base) >> ls);
		/* piece by piece, the mid so far (with the gap after it) must
		 * have fitted too, or it would have got its page of slots */
		if (m < p->per_mid && no == P2M_MAX_SEGS)
			return 0;
	}
	gap.start = (uint16_t)m;
	if (m < p->per_mid && !segs_push(p, out, &no, gap))
		return 0;

	mid = seg_mid_new(p, t, src, gap, err);
	if (!mid)
		return err ? err->code : -ENOMEM;
	charge_implicit(p, src, charge);
	memcpy(mid->segs, out, sizeof(out));
	mid->nr_segs = (uint8_t)no;
	/* every slot not charged is in a gap */
	if (gap.kind == P2M_SEG_MISSING)
		mid->nr_missing = (uint32_t)(p->per_mid - charge);
	else
		mid->nr_identity = (uint32_t)(p->per_mid - charge);
	top_set(p, t, mid);
	/* (nothing to fold: a mid with frames in it is not uniform) */
	return 1;
}

/* Are the runs what p2m_set_range() takes, one after the other in pfn
 * order and apart? */
static bool runs_in_order(const struct p2m *p, const struct p2m_frame_run *runs, size_t nr)
{
	uint64_t cap = p2m_capacity(p), end = 0;

	for (size_t i = 0; i < nr; i++) {
		const struct p2m_frame_run *r = &runs[i];

		if (!r->n)
			continue;
		if (r->pfn < end || r->pfn >= cap || r->n > cap - r->pfn ||
		    r->mfn > p->g->max_mfn || r->n - 1 > p->g->max_mfn - r->mfn)
			return false;
		end = r->pfn + r->n;
	}
	return true;
}

/* The first run from @i on with pfns in it, or @nr. */
static size_t next_run(const struct p2m_frame_run *runs, size_t nr, size_t i)
{
	while (i < nr && !runs[i].n)
		i++;
	return i;
}

int p2m_set_runs(struct p2m *p, const struct p2m_frame_run *runs, size_t nr, struct p2msim_err *err)
{
	size_t i = next_run(runs, nr, 0);
	uint64_t at = i < nr ? runs[i].pfn : 0;

	if (!runs_in_order(p, runs, nr)) {
		/* the general way, where the errors come from */
		for (size_t k = 0; k < nr; k++) {
			int rc = p2m_set_range(p, runs[k].pfn, runs[k].pfn + runs[k].n,
					       P2M_FILL_MFN, runs[k].mfn, NULL, err);

			if (rc < 0)
				return rc;
		}
		return 0;
	}
	/* a mid at a time: the pieces come in the order the runs give them
	 * either way, so frames and charges follow the same order */
	while (i < nr) {
		uint64_t t = p2m_top_index(p, at);
		uint64_t mend = p2m_mid_base(p, t) + p2m_mid_span(p);
		int built = mid_from_runs(p, t, runs, nr, i, at, err);

		if (built < 0)
			return built;
		while (i < nr && at < mend) {
			uint64_t e = runs[i].pfn + runs[i].n, pe = e < mend ? e : mend;

			if (!built) {
				int rc = range_mid(p, t, at, pe, P2M_FILL_MFN, runs[i].pfn,
						   runs[i].mfn, true, err);

				if (rc < 0)
					return rc;
			}
			if (e > mend) {
				at = mend;
				break;
			}
			i = next_run(runs, nr, i + 1);
			if (i < nr)
				at = runs[i].pfn;
		}
	}
	return 0;
}

/*
 * 2.6.39-3.13 set_phys_range_identity(), step by step (doc/design-p2m.md#identity-range).  The
 * boundary passes allocate from brk; the walk is what __set_phys_to_machine
 * does pfn by pfn, done a leaf at a time: a missing leaf swaps to the
 * identity page, the identity page stays, a private leaf gets values.
 */
static int range_2639_identity(struct p2m *p, uint64_t s, uint64_t e, uint64_t *nr_set,
			       struct p2msim_err *err)
{
	uint64_t cap = p2m_capacity(p), span = p2m_mid_span(p);
	enum p2m_src saved = p->cur_src;
	uint64_t ends[2] = { s, e };
	int rc = 0;

	/* 2.6.39: pfn_e at or past MAX_P2M_PFN rejects the whole range (the
	 * clamp came with a9b5bff66b2a in 3.14). */
	if (s >= cap || e >= cap || s > e)
		return 0;
	p->cur_src = P2M_SRC_BRK;
	/* 1 GiB pass: a mid (and its mid_mfn) for every slot touched, from
	 * s rounded down to e rounded up. */
	for (uint64_t pfn = s & ~(span - 1); pfn < ((e + span - 1) & ~(span - 1)); pfn += span) {
		struct p2m_mid *mid = p2m_top_mid(p, p2m_top_index(p, pfn));

		if ((mid == p->mid_missing || p2m_mid_is_seg(mid)) &&
		    !mid_private(p, p2m_top_index(p, pfn), err)) {
			rc = err ? err->code : -ENOMEM;
			goto out;
		}
	}
	/* 2 MiB pass: leaves at unaligned ends whose slot is still missing. */
	for (unsigned int i = 0; i < 2; i++) {
		uint64_t pfn = ends[i];
		struct p2m_mid *mid;
		unsigned int m;

		if (p2m_index(p, pfn) == 0 || pfn >= cap)
			continue;
		mid = p2m_top_mid(p, p2m_top_index(p, pfn));
		m = p2m_mid_index(p, pfn);
		if (p2m_mid_is_shared(mid) || p2m_slot_leaf(mid, m) != p->missing)
			continue;
		if (!leaf_private(p, mid, m, err)) {
			rc = err ? err->code : -ENOMEM;
			goto out;
		}
	}
	/* The walk. */
	for (uint64_t pfn = s; pfn < e;) {
		uint64_t t = p2m_top_index(p, pfn);
		unsigned int m = p2m_mid_index(p, pfn);
		struct p2m_mid *mid = p2m_top_mid(p, t);
		struct p2m_leaf *leaf = p2m_slot_leaf(mid, m);
		uint64_t lend = p2m_leaf_base(p, t, m) + p->per_leaf;

		if (lend > e)
			lend = e;
		if (leaf == p->linear && !(leaf = leaf_materialise(p, mid, m, err))) {
			rc = err ? err->code : -ENOMEM;
			goto out;
		}
		if (leaf == p->missing)
			mid_set_slot(p, mid, m, p->identity, false);
		else if (!p2m_leaf_is_shared(leaf))
			for (uint64_t q = pfn; q < lend; q++)
				leaf_write(p, leaf, p2m_index(p, q), p2m_identity_frame(p->g, q));
		*nr_set += lend - pfn;
		pfn = lend;
	}
out:
	/* Every other operation folds as it goes; fold what this one made
	 * uniform in the 1 GiB slots it touched. */
	if (p->cfg.compact)
		for (uint64_t pfn = s & ~(span - 1); pfn < e; pfn += span) {
			uint64_t t = p2m_top_index(p, pfn);
			struct p2m_mid *mid = p2m_top_mid(p, t);

			if (p2m_mid_is_shared(mid))
				continue;
			/* (a failed 1 GiB pass may leave mids kept as segments) */
			for (unsigned int m = 0; m < p->per_mid && !p2m_mid_is_seg(mid); m++)
				fold_leaf(p, mid, m);
			fold_mid(p, t);
		}
	p->cur_src = saved;
	return rc;
}

int p2m_set_range(struct p2m *p, uint64_t s, uint64_t e, enum p2m_fill fill, uint64_t mfn,
		  uint64_t *nr_set, struct p2msim_err *err)
{
	uint64_t done = 0, cap = p2m_capacity(p);
	int rc;

	if (nr_set)
		*nr_set = 0;
	if (fill == P2M_FILL_IDENTITY && p->cfg.range_mode == P2M_RANGE_2639) {
		rc = range_2639_identity(p, s, e, &done, err);
		if (nr_set)
			*nr_set = done;
		return rc;
	}
	if (s >= e)
		return 0;
	if (e > cap) {
		/* Past the end everything already reads as missing. */
		if (fill != P2M_FILL_MISSING)
			return p2msim_err_set(err, -ERANGE,
					      "range [%#llx, %#llx) is beyond the P2M's %#llx pfns",
					      (unsigned long long)s, (unsigned long long)e,
					      (unsigned long long)cap);
		e = cap;
		if (s >= e)
			return 0;
	}
	if (fill == P2M_FILL_MFN && (mfn > p->g->max_mfn || e - s - 1 > p->g->max_mfn - mfn))
		return p2msim_err_set(err, -ERANGE,
				      "MFN run %#llx + %#llx does not fit a %u-bit frame value",
				      (unsigned long long)mfn, (unsigned long long)(e - s),
				      p->g->value_bits);
	rc = range_minimal(p, s, e, fill, mfn, true, &done, err);
	if (nr_set)
		*nr_set = done;
	return rc;
}

int p2m_set_range_pfnwise(struct p2m *p, uint64_t s, uint64_t e, enum p2m_fill fill, uint64_t mfn,
			  struct p2msim_err *err)
{
	uint64_t done = 0;

	if (s >= e)
		return 0;
	if (e > p2m_capacity(p))
		return p2msim_err_set(err, -ERANGE,
				      "range [%#llx, %#llx) is beyond the P2M's %#llx pfns",
				      (unsigned long long)s, (unsigned long long)e,
				      (unsigned long long)p2m_capacity(p));
	return range_minimal(p, s, e, fill, mfn, false, &done, err);
}

/* Where graft() reads the builder's list: one MFN per pfn, or runs. */
struct graft_src {
	const uint64_t *list;
	const struct p2m_frame_run *runs;
	size_t nr_runs, cur; /* runs in pfn order; the one last used */
	uint64_t n;	     /* pfns [0, n) */
};

/* The run holding @pfn, or NULL (pfns only grow from call to call). */
static const struct p2m_frame_run *src_run(struct graft_src *s, uint64_t pfn)
{
	while (s->cur < s->nr_runs && s->runs[s->cur].pfn + s->runs[s->cur].n <= pfn)
		s->cur++;
	if (s->cur < s->nr_runs && s->runs[s->cur].pfn <= pfn)
		return &s->runs[s->cur];
	return NULL;
}

static uint64_t src_value(const struct p2m *p, struct graft_src *s, uint64_t pfn)
{
	const struct p2m_frame_run *r;

	if (pfn >= s->n)
		return p->g->invalid;
	if (s->list)
		return s->list[pfn];
	r = src_run(s, pfn);
	return r ? r->mfn + (pfn - r->pfn) : p->g->invalid;
}

/* Is the leaf from @pfn inside [0, n) and one run?  Its first value in
 * *@v0. */
static bool src_leaf_linear(const struct p2m *p, struct graft_src *s, uint64_t pfn, uint64_t *v0)
{
	const struct p2m_frame_run *r;

	if (s->n - pfn < p->per_leaf)
		return false;
	if (s->list) {
		for (unsigned int i = 1; i < p->per_leaf; i++)
			if (s->list[pfn + i] != s->list[pfn] + i)
				return false;
		*v0 = s->list[pfn];
	} else {
		r = src_run(s, pfn);
		if (!r || r->pfn + r->n < pfn + p->per_leaf)
			return false;
		*v0 = r->mfn + (pfn - r->pfn);
	}
	return p2m_linear_base_ok(p, *v0);
}

/* Private leaves holding the list over [0, n); leaves are charged to
 * @leaf_src. */
static int graft(struct p2m *p, struct graft_src *s, enum p2m_src leaf_src, struct p2msim_err *err)
{
	enum p2m_src saved = p->cur_src;
	uint64_t n = s->n, v0;
	int rc = 0;

	if (n > p2m_capacity(p))
		return p2msim_err_set(err, -ERANGE, "list of %#llx pfns is beyond the P2M's %#llx",
				      (unsigned long long)n, (unsigned long long)p2m_capacity(p));
	for (uint64_t pfn = 0; pfn < n; pfn += p->per_leaf) {
		uint64_t t = p2m_top_index(p, pfn);
		unsigned int m = p2m_mid_index(p, pfn);
		struct p2m_mid *mid = mid_private(p, t, err);
		struct p2m_leaf *leaf;

		if (!mid) {
			rc = err ? err->code : -ENOMEM;
			break;
		}
		p->cur_src = leaf_src;
		if (p2m_slot_is_linear(p, mid, m) || !p2m_leaf_is_shared(p2m_slot_leaf(mid, m)))
			leaf_share(p, mid, m, p->missing);
		if (p->implicit && src_leaf_linear(p, s, pfn, &v0)) {
			rc = leaf_set_linear(p, mid, m, v0, err);
			p->cur_src = saved;
			if (rc < 0)
				break;
			continue;
		}
		leaf = leaf_private(p, mid, m, err);
		p->cur_src = saved;
		if (!leaf) {
			rc = err ? err->code : -ENOMEM;
			break;
		}
		for (unsigned int i = 0; i < p->per_leaf; i++)
			leaf_write(p, leaf, i, src_value(p, s, pfn + i));
	}
	p->cur_src = saved;
	return rc;
}

int p2m_graft_runs(struct p2m *p, const struct p2m_frame_run *runs, size_t nr_runs, uint64_t n,
		   struct p2msim_err *err)
{
	struct graft_src s = { .runs = runs, .nr_runs = nr_runs, .n = n };

	return graft(p, &s, P2M_SRC_BUILDER, err);
}

int p2m_graft_list(struct p2m *p, const uint64_t *list, uint64_t n, struct p2msim_err *err)
{
	struct graft_src s = { .list = list, .n = n };

	/* The leaves are the builder's pages, not a kernel allocation. */
	return graft(p, &s, P2M_SRC_BUILDER, err);
}

int p2m_load_list(struct p2m *p, const uint64_t *list, uint64_t n, struct p2msim_err *err)
{
	struct graft_src s = { .list = list, .n = n };

	return graft(p, &s, p->cur_src, err);
}

/* --- accounting ----------------------------------------------------------------- */

/* Does this private mid need a page of its own, whatever it points at? */
static bool mid_needs_page(const struct p2m *p, const struct p2m_mid *mid, uint64_t *leaves)
{
	unsigned int missing = 0, identity = 0;

	if (p2m_mid_is_seg(mid)) {
		uint32_t empty = 0;

		/* empty leaves are uniform: each could be the missing leaf */
		for (unsigned int i = 0; i < mid->nr_segs; i++)
			if (mid->segs[i].kind == P2M_SEG_EMPTY)
				empty += p2m_seg_end(p, mid, i) - mid->segs[i].start;
		*leaves += p->per_mid - mid->nr_missing - mid->nr_identity - empty;
		return !(mid->nr_missing + empty == p->per_mid ||
			 (mid->nr_identity == p->per_mid && p->mid_identity));
	}
	for (unsigned int m = 0; m < p->per_mid; m++) {
		const struct p2m_leaf *leaf = p2m_slot_leaf(mid, m);
		const struct p2m_leaf *u = p2m_leaf_is_shared(leaf) ? leaf :
								      p2m_leaf_uniform(p, leaf);

		if (u == p->missing)
			missing++;
		else if (u == p->identity)
			identity++;
		else
			(*leaves)++;
	}
	if (missing == p->per_mid)
		return false;
	if (identity == p->per_mid && p->mid_identity)
		return false;
	return true;
}

void p2m_get_stats(const struct p2m *p, struct p2m_stats *st)
{
	uint64_t leaves = 0, mids = 0;

	memset(st, 0, sizeof(*st));
	st->top = p->top_pages;
	for (int s = 0; s < P2M_NR_SRCS; s++) {
		st->mid += p->nr_mid[s];
		st->leaf += p->nr_leaf[s];
		st->implicit = p->nr_implicit;
		st->mirror += p->nr_mirror[s];
		st->by_src[s] = p->nr_mid[s] + p->nr_leaf[s] + p->nr_mirror[s] + p->nr_top_src[s];
	}
	st->shared = p->nr_shared;
	st->private_pages = st->top + st->mid + st->leaf;
	st->brk_used = p->brk_used;
	st->brk_pages = p->cfg.brk_pages;
	st->allocs = p->allocs;
	st->frees = p->frees;
	for (uint64_t t = 0; t < p->v.nr_top; t++) {
		const struct p2m_mid *mid = p2m_top_mid(p, t);

		if (!p2m_mid_is_shared(mid) && mid_needs_page(p, mid, &leaves))
			mids++;
	}
	st->lower_bound = st->top + mids + leaves;
}
