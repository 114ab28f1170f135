/*
 * A small JSON reader for Vulkan manifest files (ICD and layer manifests).
 * It parses a whole document into a tree; values are looked up by key path.
 */
#ifndef VLR_JSON_H
#define VLR_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum vlr_json_type {
   VLR_JSON_NULL,
   VLR_JSON_BOOL,
   VLR_JSON_NUMBER,
   VLR_JSON_STRING,
   VLR_JSON_ARRAY,
   VLR_JSON_OBJECT
};

struct vlr_json {
   enum vlr_json_type type;
   char *key;    /* member name when inside an object */
   char *string; /* VLR_JSON_STRING (unescaped), VLR_JSON_NUMBER (text) */
   bool boolean;
   struct vlr_json *child, *next;
};

/* NULL on a syntax error. */
struct vlr_json *vlr_json_parse(const char *text);
struct vlr_json *vlr_json_parse_file(const char *path);
void vlr_json_free(struct vlr_json *j);

/* The member called key of an object, or NULL. */
const struct vlr_json *vlr_json_get(const struct vlr_json *obj, const char *key);
/* The string at a path of object keys ("ICD", "library_path"), or NULL. */
const char *vlr_json_string(const struct vlr_json *obj, const char *key1, const char *key2);

#endif
