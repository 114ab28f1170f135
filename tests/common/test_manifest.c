/*
 * Manifest search and parsing (common/vl_manifest.c) against folders made
 * here: the renderer must find the host driver and the validation layer
 * wherever the Khronos loader would, under Debian 12's and Debian 13's file
 * names, and read manifests as the loader does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "vl_manifest.h"

static char root[PATH_MAX];

static void
write_file(const char *rel, const char *text)
{
   char path[PATH_MAX * 2];
   snprintf(path, sizeof(path), "%s/%s", root, rel);
   /* make the folders on the way */
   for (char *s = strchr(path + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
      *s = 0;
      mkdir(path, 0755);
      *s = '/';
   }
   FILE *f = fopen(path, "w");
   assert_non_null(f);
   fputs(text, f);
   fclose(f);
}

static void
clear_env(void)
{
   const char *vars[] = { "VK_LAYER_PATH",   "VK_ADD_LAYER_PATH",
                          "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS",
                          "XDG_DATA_HOME",   "XDG_DATA_DIRS",
                          "VL_HOST_ICD",     "HOME" };
   for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
      unsetenv(vars[i]);
   /* keep the machine's own folders out of every search */
   char dir[PATH_MAX * 2];
   snprintf(dir, sizeof(dir), "%s/empty", root);
   setenv("XDG_CONFIG_DIRS", dir, 1);
   setenv("XDG_DATA_DIRS", dir, 1);
   setenv("HOME", dir, 1);
}

static int
setup(void **state)
{
   snprintf(root, sizeof(root), "/tmp/vl-test-manifest-XXXXXX");
   assert_non_null(mkdtemp(root));
   clear_env();
   return 0;
}

static int
teardown(void **state)
{
   char cmd[PATH_MAX + 16];
   snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
   return system(cmd);
}

static void
set_data_dirs(const char *first, const char *second)
{
   char list[PATH_MAX * 3];
   snprintf(list, sizeof(list), "%s/%s:%s/%s", root, first, root, second);
   setenv("XDG_DATA_DIRS", list, 1);
}

#define LVP                                                                                        \
   "{ \"file_format_version\": \"1.0.0\", \"ICD\": { \"library_path\": "                           \
   "\"/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so\", \"api_version\": \"1.3.230\" } }"

/* Debian 13 names lavapipe's manifest lvp_icd.json: found by its library. */
static void
test_lavapipe_under_debian13_name(void **state)
{
   write_file("usr/share/vulkan/icd.d/intel_icd.x86_64.json",
              "{ \"ICD\": { \"library_path\": \"libvulkan_intel.so\" } }");
   write_file("usr/share/vulkan/icd.d/lvp_icd.json", LVP);
   set_data_dirs("usr/local/share", "usr/share");
   char found[PATH_MAX];
   assert_true(vl_manifest_find_lavapipe(found, sizeof(found)));
   assert_non_null(strstr(found, "/usr/share/vulkan/icd.d/lvp_icd.json"));
}

/* Debian 12's name, and the loader's order: /usr/local/share before /usr/share. */
static void
test_lavapipe_first_folder_wins(void **state)
{
   write_file("usr/share/vulkan/icd.d/lvp_icd.x86_64.json", LVP);
   write_file("usr/local/share/vulkan/icd.d/my_lvp.json", LVP);
   set_data_dirs("usr/local/share", "usr/share");
   char found[PATH_MAX];
   assert_true(vl_manifest_find_lavapipe(found, sizeof(found)));
   assert_non_null(strstr(found, "/usr/local/share/vulkan/icd.d/my_lvp.json"));
}

static void
test_no_lavapipe_says_where_it_looked(void **state)
{
   write_file("usr/share/vulkan/icd.d/intel_icd.x86_64.json",
              "{ \"ICD\": { \"library_path\": \"libvulkan_intel.so\" } }");
   write_file("usr/share/vulkan/icd.d/broken.json", "{ \"ICD\": ");
   set_data_dirs("usr/local/share", "usr/share");
   char found[PATH_MAX], err[1024];
   assert_false(vl_manifest_find_lavapipe(found, sizeof(found)));
   assert_null(vl_host_icd_manifest(found, sizeof(found), err, sizeof(err)));
   assert_non_null(strstr(err, "VL_HOST_ICD"));
   assert_non_null(strstr(err, "mesa-vulkan-drivers"));
   setenv("VL_HOST_ICD", "/opt/other.json", 1);
   assert_string_equal(vl_host_icd_manifest(found, sizeof(found), err, sizeof(err)),
                       "/opt/other.json");
}

/* A relative library_path is relative to the manifest; escapes are JSON's. */
static void
test_icd_library_paths(void **state)
{
   write_file("a/rel.json", "{ \"ICD\": { \"library_path\": \"./lib/libx.so\" } }");
   write_file("a/esc.json", "{ \"ICD\": { \"library_path\": \"/opt/\\u0063af\\u00e9/liby.so\" } }");
   write_file("a/bare.json", "{ \"ICD\": { \"library_path\": \"libz.so.1\" } }");
   write_file("a/none.json", "{ \"layer\": { \"name\": \"X\", \"library_path\": \"l.so\" } }");
   char path[PATH_MAX * 2], lib[PATH_MAX], want[PATH_MAX * 2];
   snprintf(path, sizeof(path), "%s/a/rel.json", root);
   assert_true(vl_manifest_read_icd(path, lib, sizeof(lib)));
   snprintf(want, sizeof(want), "%s/a/./lib/libx.so", root);
   assert_string_equal(lib, want);
   snprintf(path, sizeof(path), "%s/a/esc.json", root);
   assert_true(vl_manifest_read_icd(path, lib, sizeof(lib)));
   assert_string_equal(lib, "/opt/caf\xc3\xa9/liby.so"); /* UTF-8, as cJSON decodes it */
   snprintf(path, sizeof(path), "%s/a/bare.json", root);
   assert_true(vl_manifest_read_icd(path, lib, sizeof(lib)));
   assert_string_equal(lib, "libz.so.1");
   snprintf(path, sizeof(path), "%s/a/none.json", root);
   assert_false(vl_manifest_read_icd(path, lib, sizeof(lib)));
}

#define LAYER(name, lib)                                                                           \
   "{ \"file_format_version\": \"1.1.0\", \"layer\": { \"name\": \"" name "\", "                   \
   "\"library_path\": \"" lib "\" } }"

/* The host-side validation layer is found where the loader finds layers:
 * VK_ADD_LAYER_PATH first, VK_LAYER_PATH instead of the standard folders. */
static void
test_layer_search(void **state)
{
   write_file("usr/share/vulkan/explicit_layer.d/v.json",
              LAYER("VK_LAYER_KHRONOS_validation", "/std/libv.so"));
   write_file("add/v.json", LAYER("VK_LAYER_KHRONOS_validation", "/add/libv.so"));
   write_file("only/v.json", "{ \"file_format_version\": \"1.0.1\", \"layers\": [ "
                             "{ \"name\": \"VK_LAYER_A\", \"library_path\": \"/only/a.so\" }, "
                             "{ \"name\": \"VK_LAYER_KHRONOS_validation\", "
                             "\"library_path\": \"/only/libv.so\" } ] }");
   set_data_dirs("usr/local/share", "usr/share");
   char manifest[PATH_MAX], lib[PATH_MAX], dir[PATH_MAX * 2];
   assert_true(vl_manifest_find_layer("VK_LAYER_KHRONOS_validation", manifest, sizeof(manifest),
                                      lib, sizeof(lib)));
   assert_string_equal(lib, "/std/libv.so");
   assert_false(
      vl_manifest_find_layer("VK_LAYER_MISSING", manifest, sizeof(manifest), lib, sizeof(lib)));

   snprintf(dir, sizeof(dir), "%s/add", root);
   setenv("VK_ADD_LAYER_PATH", dir, 1);
   assert_true(vl_manifest_find_layer("VK_LAYER_KHRONOS_validation", manifest, sizeof(manifest),
                                      lib, sizeof(lib)));
   assert_string_equal(lib, "/add/libv.so");
   unsetenv("VK_ADD_LAYER_PATH");

   snprintf(dir, sizeof(dir), "%s/only", root);
   setenv("VK_LAYER_PATH", dir, 1);
   assert_true(vl_manifest_find_layer("VK_LAYER_KHRONOS_validation", manifest, sizeof(manifest),
                                      lib, sizeof(lib)));
   assert_string_equal(lib, "/only/libv.so");
   /* VK_LAYER_PATH replaces the standard folders */
   write_file("only/v.json", LAYER("VK_LAYER_A", "/only/a.so"));
   assert_false(vl_manifest_find_layer("VK_LAYER_KHRONOS_validation", manifest, sizeof(manifest),
                                       lib, sizeof(lib)));
}

int
main(void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_lavapipe_under_debian13_name, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lavapipe_first_folder_wins, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_lavapipe_says_where_it_looked, setup, teardown),
      cmocka_unit_test_setup_teardown(test_icd_library_paths, setup, teardown),
      cmocka_unit_test_setup_teardown(test_layer_search, setup, teardown),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
