/*
 * Low latency must not cost a core: the loopback's threads sleep while the
 * application is idle and while it waits for the GPU.
 *
 * The same program runs twice in child processes, natively and through the
 * loopback, and measures the CPU time of the whole process (every thread:
 * ours, the host driver's, the loader's) over
 *  - half a second of idleness with a device open, and
 *  - a submission of heavy transfer work (lavapipe executes it on its own
 *    threads) and the fence wait for it.
 * Idle, the loopback may use almost nothing; busy, only a little more than
 * the native driver needs for the same work.  A renderer or ring thread that
 * spins shows up here as a core's worth of CPU time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "vkt.h"

#define FILL_SIZE  (128u << 20)
#define FILL_COUNT 8
#define IDLE_MS    500

static double
cpu_ms(void)
{
   struct rusage u;
   getrusage(RUSAGE_SELF, &u);
   return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
          (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

static double
wall_ms(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
measure(const char *out_path)
{
   struct vkt t;
   vkt_init(&t, "idle and busy CPU time");
   struct vkt_buffer b;
   vkt_buffer(&t, FILL_SIZE, VK_BUFFER_USAGE_TRANSFER_DST_BIT, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT,
              &b);
   /* warm up: one submission, so that every thread exists */
   VkCommandBuffer cmd = vkt_begin(&t);
   vkCmdFillBuffer(cmd, b.buffer, 0, VK_WHOLE_SIZE, 1);
   vkt_submit_wait(&t, cmd);

   double c0 = cpu_ms();
   const struct timespec idle = { 0, IDLE_MS * 1000000L };
   nanosleep(&idle, NULL);
   const double idle_cpu = cpu_ms() - c0;

   VKT_VK(vkResetCommandPool(t.device, t.pool, 0));
   cmd = vkt_begin(&t);
   for (uint32_t i = 0; i < FILL_COUNT; i++) {
      vkCmdFillBuffer(cmd, b.buffer, 0, VK_WHOLE_SIZE, i);
      const VkMemoryBarrier mb = { .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                                   .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                   .dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT };
      vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0,
                           1, &mb, 0, NULL, 0, NULL);
   }
   c0 = cpu_ms();
   const double w0 = wall_ms();
   vkt_submit_wait(&t, cmd);
   const double busy_cpu = cpu_ms() - c0, busy_wall = wall_ms() - w0;

   vkt_buffer_destroy(&t, &b);
   vkt_finish(&t);
   FILE *f = fopen(out_path, "w");
   VKT_CHECK(f);
   fprintf(f, "%f %f %f\n", idle_cpu, busy_cpu, busy_wall);
   fclose(f);
   return 0;
}

static void
run(const char *self, const char *icd, const char *path, double v[3])
{
   if (!vkt_run_child(self, icd, "--measure", path))
      vkt_fail("the measurement with %s failed", icd);
   FILE *f = fopen(path, "r");
   VKT_CHECK(f && fscanf(f, "%lf %lf %lf", &v[0], &v[1], &v[2]) == 3);
   fclose(f);
   remove(path);
}

int
main(int argc, char **argv)
{
   if (argc == 3 && !strcmp(argv[1], "--measure"))
      return measure(argv[2]);
   const char *loopback = getenv("VK_ICD_FILENAMES");
   VKT_CHECK(loopback && *loopback);
   char path[] = "/tmp/vl-idle-XXXXXX";
   const int fd = mkstemp(path);
   VKT_CHECK(fd >= 0);
   double native[3], loop[3];
   run(argv[0], vkt_native_icd(), path, native);
   run(argv[0], loopback, path, loop);
   printf("idle %d ms: CPU %.1f ms natively, %.1f ms through the loopback\n", IDLE_MS, native[0],
          loop[0]);
   printf("busy (%u fills of %u MiB): CPU %.1f ms in %.1f ms natively, %.1f ms in %.1f ms "
          "through the loopback\n",
          FILL_COUNT, FILL_SIZE >> 20, native[1], native[2], loop[1], loop[2]);
   /* Idle: a sleeping thread costs nothing; allow scheduler noise. */
   if (loop[0] > native[0] + 0.02 * IDLE_MS)
      vkt_fail("the loopback used %.1f ms of CPU in %d ms of idleness", loop[0], IDLE_MS);
   /* Busy: the host driver's own work, plus little; a spinning thread would
    * add about the wall time. */
   if (loop[1] > native[1] * 1.15 + 0.25 * loop[2] + 20)
      vkt_fail("waiting for the GPU cost %.1f ms of CPU through the loopback, %.1f natively",
               loop[1], native[1]);
   struct vkt t = { .name = "idle and busy CPU time" };
   vkt_pass(&t);
   return 0;
}
