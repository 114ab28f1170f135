/*
 * Vulkan manifest files (ICD and layer JSON), found where the Khronos loader
 * looks for them and read with cJSON.
 *
 * The renderer is its own small loader for the host driver (it cannot go back
 * through the application's loader, which is inside vkCreateInstance and whose
 * VK_ICD_FILENAMES names our ICD), so it needs the loader's search rules: the
 * same folders, the same environment variables.  Tests and benchmarks use the
 * same functions to run "natively" on the host driver the renderer would load.
 */
#ifndef VL_MANIFEST_H
#define VL_MANIFEST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define VL_MANIFEST_MAX_DIRS 32

enum vl_manifest_kind {
   VL_MANIFEST_ICD,            /* icd.d */
   VL_MANIFEST_EXPLICIT_LAYER, /* explicit_layer.d, VK_LAYER_PATH, VK_ADD_LAYER_PATH */
};

/* The folders the loader searches for manifests of kind, in its order:
 * XDG_CONFIG_HOME, XDG_CONFIG_DIRS, /etc, XDG_DATA_HOME, XDG_DATA_DIRS; for
 * layers VK_ADD_LAYER_PATH first, and VK_LAYER_PATH instead of all the rest.
 * Returns how many were written (at most max). */
unsigned vl_manifest_dirs(enum vl_manifest_kind kind, char dirs[][PATH_MAX], unsigned max);

/* Reads an ICD manifest ("ICD") or a layer manifest ("layer" or one entry of
 * "layers"): name (layers only; may be NULL) and library, the latter resolved
 * as the loader does (a bare name goes to dlopen's search, a relative path is
 * relative to the manifest's folder).  For layers, want_name picks the entry.
 * false when the file is not such a manifest. */
bool vl_manifest_read_icd(const char *path, char *library, size_t library_size);
bool vl_manifest_read_layer(const char *path, const char *want_name, char *library,
                            size_t library_size);

/* The first layer manifest in the loader's folders that defines name. */
bool vl_manifest_find_layer(const char *name, char *manifest, size_t manifest_size, char *library,
                            size_t library_size);

/* The default host driver, lavapipe: the first ICD manifest in the loader's
 * folders whose library is lavapipe's (lvp_icd.x86_64.json on Debian 12,
 * lvp_icd.json on Debian 13, or any other name). */
bool vl_manifest_find_lavapipe(char *manifest, size_t manifest_size);

/* The message for a machine without lavapipe: where we looked, what to do. */
void vl_manifest_lavapipe_missing(char *err, size_t err_size);

/* The host driver's manifest the renderer loads: VL_HOST_ICD when set, else
 * lavapipe's.  NULL (and a message in err) when there is none. */
const char *vl_host_icd_manifest(char *buf, size_t size, char *err, size_t err_size);

#endif
