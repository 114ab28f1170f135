/*
 * Hostile guests (hostile.h): every area's tests, one cmocka group, each
 * test with a fresh context.
 */
#include <stdio.h>

#include "hostile.h"

int
main(void)
{
   const struct {
      const struct CMUnitTest *tests;
      size_t count;
   } areas[] = {
#define AREA(area) { hostile_##area##_tests, hostile_##area##_count }
      AREA(decoding),    AREA(sync),    AREA(buffers),   AREA(images),  AREA(render_passes),
      AREA(descriptors), AREA(queries), AREA(pipelines), AREA(shaders),
#undef AREA
   };
   size_t count = 0;
   for (size_t i = 0; i < sizeof(areas) / sizeof(areas[0]); i++)
      count += areas[i].count;
   struct CMUnitTest *tests = calloc(count, sizeof(*tests));
   if (!tests) {
      fprintf(stderr, "test_hostile: out of memory\n");
      return 1;
   }
   size_t n = 0;
   for (size_t i = 0; i < sizeof(areas) / sizeof(areas[0]); i++) {
      memcpy(tests + n, areas[i].tests, areas[i].count * sizeof(*tests));
      n += areas[i].count;
   }
   const int failed = _cmocka_run_group_tests("tests", tests, count, NULL, NULL);
   free(tests);
   hostile_decoding_cleanup();
   return failed;
}
