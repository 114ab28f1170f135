/*
 * Manifest search and parsing (see vl_manifest.h).  The folder order follows
 * the Khronos loader's documentation (LoaderInterfaceArchitecture.md, "Linux
 * manifest search paths").
 */
#include "vl_manifest.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned
add_dir(char dirs[][PATH_MAX], unsigned n, unsigned max, const char *base, const char *suffix)
{
   if (n >= max || !base || !*base)
      return n;
   for (unsigned i = 0; i < n; i++) {
      char candidate[PATH_MAX];
      snprintf(candidate, sizeof(candidate), "%s%s", base, suffix);
      if (!strcmp(dirs[i], candidate))
         return n;
   }
   snprintf(dirs[n], PATH_MAX, "%s%s", base, suffix);
   return n + 1;
}

/* Each element of a colon-separated list, with suffix appended. */
static unsigned
add_list(char dirs[][PATH_MAX], unsigned n, unsigned max, const char *list, const char *suffix)
{
   if (!list)
      return n;
   char *copy = strdup(list);
   if (!copy)
      return n;
   for (char *save = NULL, *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
      n = add_dir(dirs, n, max, d, suffix);
   free(copy);
   return n;
}

static const char *
env_or(const char *name, const char *fallback)
{
   const char *v = getenv(name);
   return v && *v ? v : fallback;
}

unsigned
vl_manifest_dirs(enum vl_manifest_kind kind, char dirs[][PATH_MAX], unsigned max)
{
   const char *sub = kind == VL_MANIFEST_ICD ? "/vulkan/icd.d" : "/vulkan/explicit_layer.d";
   unsigned n = 0;
   if (kind == VL_MANIFEST_EXPLICIT_LAYER) {
      n = add_list(dirs, n, max, getenv("VK_ADD_LAYER_PATH"), "");
      const char *only = getenv("VK_LAYER_PATH");
      if (only && *only)
         return add_list(dirs, n, max, only, "");
   }
   const char *home = getenv("HOME");
   char buf[PATH_MAX];
   const char *config_home = getenv("XDG_CONFIG_HOME");
   if ((!config_home || !*config_home) && home) {
      snprintf(buf, sizeof(buf), "%s/.config", home);
      config_home = buf;
   }
   n = add_dir(dirs, n, max, config_home, sub);
   n = add_list(dirs, n, max, env_or("XDG_CONFIG_DIRS", "/etc/xdg"), sub);
   n = add_dir(dirs, n, max, "/etc", sub);
   const char *data_home = getenv("XDG_DATA_HOME");
   if ((!data_home || !*data_home) && home) {
      snprintf(buf, sizeof(buf), "%s/.local/share", home);
      data_home = buf;
   }
   n = add_dir(dirs, n, max, data_home, sub);
   n = add_list(dirs, n, max, env_or("XDG_DATA_DIRS", "/usr/local/share:/usr/share"), sub);
   return n;
}

static cJSON *
parse_file(const char *path)
{
   FILE *f = fopen(path, "rb");
   if (!f)
      return NULL;
   char *text = NULL;
   size_t len = 0;
   if (!fseek(f, 0, SEEK_END)) {
      const long size = ftell(f);
      /* a manifest is a few hundred bytes; refuse anything absurd */
      if (size > 0 && size < (1 << 20) && !fseek(f, 0, SEEK_SET)) {
         text = malloc((size_t)size + 1);
         if (text)
            len = fread(text, 1, (size_t)size, f);
      }
   }
   fclose(f);
   if (!text)
      return NULL;
   text[len] = 0;
   cJSON *root = cJSON_Parse(text);
   free(text);
   return root;
}

static const char *
string_of(const cJSON *obj, const char *key)
{
   const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
   return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool
resolve_library(const char *manifest, const char *lib, char *out, size_t size)
{
   if (!lib || !*lib)
      return false;
   if (lib[0] == '/' || !strchr(lib, '/')) {
      snprintf(out, size, "%s", lib);
      return true;
   }
   const char *slash = strrchr(manifest, '/');
   if (slash)
      snprintf(out, size, "%.*s/%s", (int)(slash - manifest), manifest, lib);
   else
      snprintf(out, size, "./%s", lib);
   return true;
}

bool
vl_manifest_read_icd(const char *path, char *library, size_t library_size)
{
   cJSON *root = parse_file(path);
   const bool ok =
      root && resolve_library(
                 path, string_of(cJSON_GetObjectItemCaseSensitive(root, "ICD"), "library_path"),
                 library, library_size);
   cJSON_Delete(root);
   return ok;
}

static bool
layer_matches(const char *path, const cJSON *layer, const char *want_name, char *library,
              size_t library_size)
{
   const char *name = string_of(layer, "name");
   return name && (!want_name || !strcmp(name, want_name)) &&
          resolve_library(path, string_of(layer, "library_path"), library, library_size);
}

bool
vl_manifest_read_layer(const char *path, const char *want_name, char *library, size_t library_size)
{
   cJSON *root = parse_file(path);
   if (!root)
      return false;
   bool ok = layer_matches(path, cJSON_GetObjectItemCaseSensitive(root, "layer"), want_name,
                           library, library_size);
   const cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
   const cJSON *l;
   cJSON_ArrayForEach(l, layers)
   {
      if (!ok)
         ok = layer_matches(path, l, want_name, library, library_size);
   }
   cJSON_Delete(root);
   return ok;
}

static int
by_name(const void *a, const void *b)
{
   return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Calls match(path) for every *.json in dir, in name order, until it says yes. */
static bool
scan_dir(const char *dir, bool (*match)(const char *path, void *data), void *data, char *found,
         size_t found_size)
{
   DIR *d = opendir(dir);
   if (!d)
      return false;
   char *names[256];
   unsigned count = 0;
   struct dirent *e;
   while ((e = readdir(d)) && count < 256) {
      const size_t len = strlen(e->d_name);
      if (len > 5 && !strcmp(e->d_name + len - 5, ".json"))
         names[count++] = strdup(e->d_name);
   }
   closedir(d);
   qsort(names, count, sizeof(names[0]), by_name);
   bool ok = false;
   for (unsigned i = 0; i < count; i++) {
      if (!ok && names[i]) {
         char path[PATH_MAX];
         snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
         if (match(path, data)) {
            snprintf(found, found_size, "%s", path);
            ok = true;
         }
      }
      free(names[i]);
   }
   return ok;
}

static bool
scan_dirs(enum vl_manifest_kind kind, bool (*match)(const char *path, void *data), void *data,
          char *found, size_t found_size)
{
   char dirs[VL_MANIFEST_MAX_DIRS][PATH_MAX];
   const unsigned n = vl_manifest_dirs(kind, dirs, VL_MANIFEST_MAX_DIRS);
   for (unsigned i = 0; i < n; i++) {
      if (scan_dir(dirs[i], match, data, found, found_size))
         return true;
   }
   return false;
}

struct layer_query {
   const char *name;
   char *library;
   size_t library_size;
};

static bool
is_layer(const char *path, void *data)
{
   struct layer_query *q = data;
   return vl_manifest_read_layer(path, q->name, q->library, q->library_size);
}

bool
vl_manifest_find_layer(const char *name, char *manifest, size_t manifest_size, char *library,
                       size_t library_size)
{
   struct layer_query q = { name, library, library_size };
   return scan_dirs(VL_MANIFEST_EXPLICIT_LAYER, is_layer, &q, manifest, manifest_size);
}

static bool
is_lavapipe(const char *path, void *data)
{
   char library[PATH_MAX];
   if (!vl_manifest_read_icd(path, library, sizeof(library)))
      return false;
   const char *base = strrchr(library, '/');
   base = base ? base + 1 : library;
   return !strncmp(base, "libvulkan_lvp.", 14);
}

bool
vl_manifest_find_lavapipe(char *manifest, size_t manifest_size)
{
   return scan_dirs(VL_MANIFEST_ICD, is_lavapipe, NULL, manifest, manifest_size);
}

void
vl_manifest_lavapipe_missing(char *err, size_t err_size)
{
   char dirs[VL_MANIFEST_MAX_DIRS][PATH_MAX];
   const unsigned n = vl_manifest_dirs(VL_MANIFEST_ICD, dirs, VL_MANIFEST_MAX_DIRS);
   snprintf(err, err_size,
            "no host Vulkan driver: no ICD manifest for lavapipe (libvulkan_lvp.so) in the "
            "loader's folders (%s%s); install mesa-vulkan-drivers or set VL_HOST_ICD to a host "
            "ICD manifest",
            n ? dirs[n - 1] : "none", n > 1 ? " and others" : "");
}

const char *
vl_host_icd_manifest(char *buf, size_t size, char *err, size_t err_size)
{
   const char *set = getenv("VL_HOST_ICD");
   if (set && *set) {
      snprintf(buf, size, "%s", set);
      return buf;
   }
   if (vl_manifest_find_lavapipe(buf, size))
      return buf;
   vl_manifest_lavapipe_missing(err, err_size);
   return NULL;
}
