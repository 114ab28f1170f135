/*
 * Runs a fuzzing target's entry point over files, with any compiler: the
 * inputs the fuzzers found (tests/fuzz/regressions/<target>/) stay fixed.
 *
 *   fuzz_<target>_regress FILE|DIR...
 *   fuzz_<target>_regress --mutate SEED RUNS FILE|DIR...
 *
 * A directory means every file in it.  A crash, a sanitizer report or a
 * hang is the failure; the exit status is 0 when every input ran.
 *
 * --mutate is CI's fuzzing: RUNS inputs, each a file of the arguments
 * changed by one to four mutations, all drawn from one pseudo-random
 * sequence started at SEED.  Nothing feeds back from the execution (unlike
 * libFuzzer, whose coverage of the renderer's threads differs from run to
 * run), so the inputs are the same on every machine and every run: a
 * result depends on the code only.  VL_FUZZ_SAVE=PATH writes each input to
 * PATH before running it, so that after a crash PATH holds its input.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bytes of a file (malloc'd), or NULL with a message. */
static uint8_t *
load_file(const char *path, size_t *out_size)
{
   FILE *f = fopen(path, "rb");
   if (!f) {
      fprintf(stderr, "%s: %s\n", path, strerror(errno));
      return NULL;
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
   if (!data)
      fprintf(stderr, "%s: out of memory\n", path);
   *out_size = size;
   return data;
}

static int
run_file(const char *path)
{
   size_t size = 0;
   uint8_t *data = load_file(path, &size);
   if (!data)
      return 1;
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

/* Calls fn on the file, or on every file of the directory in name order. */
static int
each_file(const char *path, int (*fn)(const char *))
{
   struct stat st;
   if (stat(path, &st)) {
      fprintf(stderr, "%s: %s\n", path, strerror(errno));
      return 1;
   }
   if (!S_ISDIR(st.st_mode))
      return fn(path);
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
      status |= fn(file);
      free(names[i]);
   }
   free(names);
   return status;
}

/* ---- --mutate ----------------------------------------------------------------------- */

static struct {
   uint8_t **data;
   size_t *size;
   size_t count;
} seeds;

static int
add_seed(const char *path)
{
   size_t size = 0;
   uint8_t *data = load_file(path, &size);
   uint8_t **d = data ? realloc(seeds.data, (seeds.count + 1) * sizeof(*d)) : NULL;
   size_t *z = d ? realloc(seeds.size, (seeds.count + 1) * sizeof(*z)) : NULL;
   if (d)
      seeds.data = d;
   if (!z) {
      free(data);
      return 1;
   }
   seeds.size = z;
   seeds.data[seeds.count] = data;
   seeds.size[seeds.count++] = size;
   return 0;
}

/* splitmix64: the same sequence everywhere */
static uint64_t
next(uint64_t *state)
{
   uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
   z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
   z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
   return z ^ (z >> 31);
}

static size_t
below(uint64_t *state, size_t n)
{
   return n ? (size_t)(next(state) % n) : 0;
}

/* One mutation of buf[0..*size) (capacity cap): what matters in a Venus
 * stream are its 32-bit words (ids, counts, sizes, enums, handles). */
static void
mutate_once(uint64_t *rng, uint8_t *buf, size_t *size, size_t cap)
{
   static const uint32_t interesting[] = { 0,          1,          2,          3,
                                           4,          0x7f,       0x80,       0xff,
                                           0x100,      0xffff,     0x10000,    0x7fffffff,
                                           0x80000000, 0xfffffffe, 0xffffffff, 0x40000000 };
   const size_t n = *size;
   switch (below(rng, n ? 8 : 1)) {
   case 0: /* a word set to an interesting value */
      if (n >= 4) {
         const uint32_t v = interesting[below(rng, sizeof(interesting) / sizeof(*interesting))];
         memcpy(buf + below(rng, n / 4) * 4, &v, 4);
      } else if (n < cap) {
         buf[(*size)++] = (uint8_t)next(rng);
      }
      break;
   case 1: /* a bit flipped */
      buf[below(rng, n)] ^= (uint8_t)(1u << below(rng, 8));
      break;
   case 2: /* a byte set */
      buf[below(rng, n)] = (uint8_t)next(rng);
      break;
   case 3: { /* a word moved by a small amount */
      if (n < 4)
         break;
      uint32_t v;
      const size_t at = below(rng, n / 4) * 4;
      memcpy(&v, buf + at, 4);
      v += (uint32_t)below(rng, 33) - 16u;
      memcpy(buf + at, &v, 4);
      break;
   }
   case 4: { /* words erased */
      const size_t at = below(rng, n / 4 + 1) * 4, len = 4 * (1 + below(rng, 8));
      if (at + len <= n) {
         memmove(buf + at, buf + at + len, n - at - len);
         *size = n - len;
      }
      break;
   }
   case 5: { /* words repeated */
      const size_t at = below(rng, n / 4 + 1) * 4, len = 4 * (1 + below(rng, 8));
      if (at + len <= n && n + len <= cap) {
         memmove(buf + at + len, buf + at, n - at);
         *size = n + len;
      }
      break;
   }
   case 6: /* cut short */
      *size = below(rng, n + 1);
      break;
   default: { /* a word copied from elsewhere in the input */
      if (n < 8)
         break;
      memmove(buf + below(rng, n / 4) * 4, buf + below(rng, n / 4) * 4, 4);
      break;
   }
   }
}

static int
mutate_main(uint64_t seed, uint64_t runs, int argc, char **argv)
{
   int status = 0;
   for (int i = 0; i < argc; i++)
      status |= each_file(argv[i], add_seed);
   if (status || !seeds.count) {
      fprintf(stderr, "--mutate: no input files\n");
      return 2;
   }
   size_t largest = 0;
   for (size_t i = 0; i < seeds.count; i++)
      largest = seeds.size[i] > largest ? seeds.size[i] : largest;
   const size_t cap = largest + 256;
   uint8_t *buf = malloc(cap);
   if (!buf)
      return 2;
   const char *save = getenv("VL_FUZZ_SAVE");
   printf("--mutate: %llu inputs from %zu files, seed %llu\n", (unsigned long long)runs,
          seeds.count, (unsigned long long)seed);
   fflush(stdout);
   uint64_t rng = seed;
   for (uint64_t r = 0; r < runs; r++) {
      const size_t pick = below(&rng, seeds.count);
      size_t size = seeds.size[pick];
      memcpy(buf, seeds.data[pick], size);
      for (size_t m = 1 + below(&rng, 4); m > 0; m--)
         mutate_once(&rng, buf, &size, cap);
      if (save) {
         FILE *f = fopen(save, "wb");
         if (f) {
            fwrite(buf, 1, size, f);
            fclose(f);
         }
      }
      if (runs >= 10 && r % (runs / 10) == 0) {
         printf("--mutate: input %llu\n", (unsigned long long)r);
         fflush(stdout);
      }
      /* exactly the bytes of the input, so that reads past it are caught */
      uint8_t *exact = malloc(size ? size : 1);
      if (!exact)
         return 2;
      memcpy(exact, buf, size);
      LLVMFuzzerTestOneInput(exact, size);
      free(exact);
   }
   printf("--mutate: %llu inputs ran\n", (unsigned long long)runs);
   for (size_t i = 0; i < seeds.count; i++)
      free(seeds.data[i]);
   free(seeds.data);
   free(seeds.size);
   free(buf);
   return 0;
}

int
main(int argc, char **argv)
{
   if (argc >= 5 && !strcmp(argv[1], "--mutate")) {
      char *end1, *end2;
      const unsigned long long seed = strtoull(argv[2], &end1, 0);
      const unsigned long long runs = strtoull(argv[3], &end2, 0);
      if (*end1 || *end2) {
         fprintf(stderr, "--mutate SEED RUNS: numbers expected\n");
         return 2;
      }
      return mutate_main(seed, runs, argc - 4, argv + 4);
   }
   int status = 0;
   for (int i = 1; i < argc; i++)
      status |= each_file(argv[i], run_file);
   if (argc < 2)
      fprintf(stderr, "usage: %s FILE|DIR...\n       %s --mutate SEED RUNS FILE|DIR...\n", argv[0],
              argv[0]);
   return argc < 2 ? 2 : status;
}
