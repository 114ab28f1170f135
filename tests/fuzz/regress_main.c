/*
 * Runs a fuzzing target's entry point over files, with any compiler: the
 * inputs the fuzzers found (tests/fuzz/regressions/<target>/) stay fixed.
 *
 *   fuzz_<target>_regress FILE|DIR...
 *
 * A directory means every file in it.  A crash, a sanitizer report or a
 * hang is the failure; the exit status is 0 when every input ran.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
   FILE *f = fopen(path, "rb");
   if (!f) {
      fprintf(stderr, "%s: %s\n", path, strerror(errno));
      return 1;
   }
   size_t cap = 4096, size = 0;
   uint8_t *data = malloc(cap);
   size_t n;
   while (data && (n = fread(data + size, 1, cap - size, f)) > 0) {
      size += n;
      if (size == cap) {
         uint8_t *bigger = realloc(data, cap *= 2);
         if (!bigger) {
            free(data);
            data = NULL;
         }
         data = bigger;
      }
   }
   fclose(f);
   if (!data) {
      fprintf(stderr, "%s: out of memory\n", path);
      return 1;
   }
   printf("%s (%zu bytes)\n", path, size);
   fflush(stdout);
   /* exactly the bytes of the file, as the fuzzer gave them */
   uint8_t *exact = malloc(size ? size : 1);
   memcpy(exact, data, size);
   free(data);
   LLVMFuzzerTestOneInput(exact, size);
   free(exact);
   return 0;
}

static int
compare(const void *a, const void *b)
{
   return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run_path(const char *path)
{
   struct stat st;
   if (stat(path, &st)) {
      fprintf(stderr, "%s: %s\n", path, strerror(errno));
      return 1;
   }
   if (!S_ISDIR(st.st_mode))
      return run_file(path);
   DIR *dir = opendir(path);
   if (!dir) {
      fprintf(stderr, "%s: %s\n", path, strerror(errno));
      return 1;
   }
   char **names = NULL;
   size_t count = 0;
   struct dirent *e;
   while ((e = readdir(dir))) {
      if (e->d_name[0] == '.')
         continue;
      char **more = realloc(names, (count + 1) * sizeof(*names));
      if (!more)
         break;
      names = more;
      names[count++] = strdup(e->d_name);
   }
   closedir(dir);
   qsort(names, count, sizeof(*names), compare);
   int status = 0;
   for (size_t i = 0; i < count; i++) {
      char file[4096];
      snprintf(file, sizeof(file), "%s/%s", path, names[i]);
      status |= run_file(file);
      free(names[i]);
   }
   free(names);
   return status;
}

int
main(int argc, char **argv)
{
   int status = 0;
   for (int i = 1; i < argc; i++)
      status |= run_path(argv[i]);
   if (argc < 2)
      fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
   return argc < 2 ? 2 : status;
}
