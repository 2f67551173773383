/* SPDX-License-Identifier: MIT */
/*
 * p2m/arena.c - where leaf pages live.
 *
 * Leaves are page-sized arrays (4 KiB of values on x86-64, 8 KiB on PAE
 * where 1024 values are kept 64-bit wide), carved out of 2 MiB chunks
 * aligned to 2 MiB and offered to the kernel for transparent huge pages.
 * A lookup then chases top -> mid -> leaf without a TLB miss on the leaf,
 * as the kernel's own direct map would.  Each chunk begins with the table
 * of its leaves' headers, so the header of a leaf is found from the
 * address of its entries alone:
 *
 *   chunk (2 MiB) = [ desc | hdr[0] hdr[1] ... ] [ leaf k ] [ leaf k+1 ] ...
 *                    `-- first k slots --'
 *
 * Freed leaves go on a free list and are reused; chunks go back to the
 * system when the P2M is freed.
 *
 * The headers of mids kept as segments (a page of slots they have not)
 * come the same way from blocks of P2M_MID_BLOCK: a full dom0 of a large
 * host has one for each GiB, made and freed together.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "p2m/p2m-internal.h"

static size_t arena_slot_size(const struct p2m *p)
{
	return (size_t)p->per_leaf * sizeof(uint64_t);
}

static int arena_grow(struct p2m *p)
{
	struct p2m_arena *a = &p->arena;
	struct p2m_chunk *chunk;
	size_t slot = arena_slot_size(p), nslots = P2M_CHUNK_SIZE / slot;
	size_t table = sizeof(*chunk) + nslots * sizeof(struct p2m_leaf);
	void *mem;

	if (a->nr_chunks == a->alloc_chunks) {
		size_t n = a->alloc_chunks ? a->alloc_chunks * 2 : 16;
		void **chunks = realloc(a->chunks, n * sizeof(*chunks));

		if (!chunks)
			return -ENOMEM;
		a->chunks = chunks;
		a->alloc_chunks = n;
	}
	if (posix_memalign(&mem, P2M_CHUNK_SIZE, P2M_CHUNK_SIZE))
		return -ENOMEM;
	/* Best effort: without huge pages everything still works. */
	(void)madvise(mem, P2M_CHUNK_SIZE, MADV_HUGEPAGE);
	chunk = mem;
	chunk->slot_shift = (unsigned int)__builtin_ctzl(slot);
	a->chunks[a->nr_chunks++] = mem;
	a->cur = mem;
	a->next_slot = (unsigned int)((table + slot - 1) / slot); /* after the table */
	a->nr_slots = (unsigned int)nslots;
	return 0;
}

struct p2m_leaf *p2m_arena_get(struct p2m *p)
{
	struct p2m_arena *a = &p->arena;
	struct p2m_chunk *chunk;
	struct p2m_leaf *leaf;
	unsigned int idx;

	if (a->free) {
		leaf = a->free;
		a->free = *(struct p2m_leaf **)(void *)leaf->e;
		return leaf;
	}
	if (!a->cur || a->next_slot == a->nr_slots)
		if (arena_grow(p) < 0)
			return NULL;
	chunk = a->cur;
	idx = a->next_slot++;
	leaf = &chunk->hdr[idx];
	leaf->e = (uint64_t *)(void *)((char *)chunk + ((size_t)idx << chunk->slot_shift));
	return leaf;
}

void p2m_arena_put(struct p2m *p, struct p2m_leaf *leaf)
{
	leaf->magic = P2M_MAGIC_DEAD;
	*(struct p2m_leaf **)(void *)leaf->e = p->arena.free;
	p->arena.free = leaf;
}

#define P2M_MID_BLOCK 256u

static int mid_block_grow(struct p2m_arena *a)
{
	struct p2m_mid *block;

	if (a->nr_mid_blocks == a->alloc_mid_blocks) {
		size_t n = a->alloc_mid_blocks ? a->alloc_mid_blocks * 2 : 16;
		struct p2m_mid **blocks = realloc(a->mid_blocks, n * sizeof(*blocks));

		if (!blocks)
			return -ENOMEM;
		a->mid_blocks = blocks;
		a->alloc_mid_blocks = n;
	}
	block = malloc(P2M_MID_BLOCK * sizeof(*block));
	if (!block)
		return -ENOMEM;
	a->mid_blocks[a->nr_mid_blocks++] = block;
	a->mid_next = 0;
	return 0;
}

struct p2m_mid *p2m_seg_mid_get(struct p2m *p)
{
	struct p2m_arena *a = &p->arena;
	struct p2m_mid *mid;

	if (a->mid_free) {
		mid = a->mid_free;
		a->mid_free = (struct p2m_mid *)(void *)mid->mirror;
		return mid;
	}
	if (!a->nr_mid_blocks || a->mid_next == P2M_MID_BLOCK)
		if (mid_block_grow(a) < 0)
			return NULL;
	return &a->mid_blocks[a->nr_mid_blocks - 1][a->mid_next++];
}

void p2m_seg_mid_put(struct p2m *p, struct p2m_mid *mid)
{
	mid->magic = P2M_MAGIC_DEAD;
	mid->mirror = (uint64_t *)(void *)p->arena.mid_free;
	p->arena.mid_free = mid;
}

void p2m_arena_fini(struct p2m *p)
{
	for (size_t i = 0; i < p->arena.nr_chunks; i++)
		free(p->arena.chunks[i]);
	free(p->arena.chunks);
	for (size_t i = 0; i < p->arena.nr_mid_blocks; i++)
		free(p->arena.mid_blocks[i]);
	free(p->arena.mid_blocks);
	memset(&p->arena, 0, sizeof(p->arena));
}
