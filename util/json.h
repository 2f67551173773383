/* SPDX-License-Identifier: MIT */
/*
 * util/json.h - building a JSON result that is whole or not at all.
 *
 * json-c adds a NULL value as JSON null, and leaves the value with the
 * caller when the add fails: these take @v in every case and fail when a
 * constructor before them did (out of memory), so a caller chains them with
 * || and returns NULL on the first failure.
 */
#ifndef P2MSIM_UTIL_JSON_H
#define P2MSIM_UTIL_JSON_H

#include <json-c/json.h>

static inline int json_put(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -1;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static inline int json_push(struct json_object *a, struct json_object *v)
{
	if (!v)
		return -1;
	if (json_object_array_add(a, v) < 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

#endif
