/*
 * A host call that may block inside the host driver.
 *
 * Mesa's common queue code (lavapipe's) blocks inside vkQueueSubmit while a
 * binary semaphore it waits for belongs to a batch its submit thread still
 * holds back for a timeline value.  vlr_inflight.c refuses the waits it can
 * tell will never be satisfied; what it cannot see (the host's own order of
 * signals, races with the submit thread) would hold the renderer for ever,
 * since only the stream it is reading could signal the value.  So such a
 * call runs under a watchdog.  A call that takes long is not a hang: a
 * batch waiting for another one that runs for minutes blocks lavapipe's
 * vkQueueSubmit just as long.  The watchdog acts only on a call proven never
 * to return: the host driver says its device is lost (lavapipe's queue
 * blocks for ever then), asked every idle timeout while the call lasts.
 * Then another thread signals the device's timeline semaphores to their
 * largest value, which lets the host driver's submit thread go on and the
 * call return; the context is lost, since the guest's waits no longer mean
 * anything.  Signaling or reading a semaphore from another thread needs no
 * synchronization with the queue call (Vulkan).
 */
#include "vlr_watchdog.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "vlr_context.h"

struct vlr_watchdog {
   pthread_t thread;
   pthread_mutex_t lock;
   pthread_cond_t cond;
   bool stop, armed, fired;
   struct timespec deadline;
   uint64_t period_ns;
   VkDevice device;
   PFN_vkSignalSemaphore signal;
   PFN_vkGetSemaphoreCounterValue counter;
   VkSemaphore *sems;
   uint32_t count;
};

static bool
reached(const struct timespec *deadline)
{
   struct timespec now;
   clock_gettime(CLOCK_MONOTONIC, &now);
   return now.tv_sec > deadline->tv_sec ||
          (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

static void
add_ns(struct timespec *t, uint64_t ns)
{
   const uint64_t sum = (uint64_t)t->tv_nsec + ns % 1000000000u;
   t->tv_sec += (time_t)(ns / 1000000000u + sum / 1000000000u);
   t->tv_nsec = (long)(sum % 1000000000u);
}

/* Whether the host driver says the device is lost (under w->lock). */
static bool
device_lost(struct vlr_watchdog *w)
{
   uint64_t value;
   return w->count && w->counter &&
          w->counter(w->device, w->sems[0], &value) == VK_ERROR_DEVICE_LOST;
}

static void *
watchdog_main(void *data)
{
   struct vlr_watchdog *w = data;
   pthread_mutex_lock(&w->lock);
   while (!w->stop) {
      if (!w->armed || w->fired) {
         pthread_cond_wait(&w->cond, &w->lock);
         continue;
      }
      pthread_cond_timedwait(&w->cond, &w->lock, &w->deadline);
      if (!w->armed || w->fired || w->stop || !reached(&w->deadline))
         continue;
      if (!device_lost(w)) {
         /* slow, not stuck: look again after another period */
         add_ns(&w->deadline, w->period_ns);
         continue;
      }
      w->fired = true;
      /* the call is still inside the host driver: release what it waits on */
      for (uint32_t i = 0; i < w->count; i++) {
         const VkSemaphoreSignalInfo info = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                              .semaphore = w->sems[i],
                                              .value = UINT64_MAX };
         w->signal(w->device, &info);
      }
   }
   pthread_mutex_unlock(&w->lock);
   return NULL;
}

static struct vlr_watchdog *
watchdog_get(struct vlr_context *ctx)
{
   if (ctx->watchdog)
      return ctx->watchdog;
   struct vlr_watchdog *w = calloc(1, sizeof(*w));
   if (!w)
      return NULL;
   pthread_condattr_t attr;
   pthread_condattr_init(&attr);
   pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
   pthread_cond_init(&w->cond, &attr);
   pthread_condattr_destroy(&attr);
   pthread_mutex_init(&w->lock, NULL);
   if (pthread_create(&w->thread, NULL, watchdog_main, w)) {
      pthread_cond_destroy(&w->cond);
      pthread_mutex_destroy(&w->lock);
      free(w);
      return NULL;
   }
   ctx->watchdog = w;
   return w;
}

bool
vlr_watchdog_arm(struct vlr_context *ctx, VkDevice device, PFN_vkSignalSemaphore signal,
                 PFN_vkGetSemaphoreCounterValue counter, VkSemaphore *sems, uint32_t count,
                 uint64_t timeout_ns)
{
   struct vlr_watchdog *w = signal ? watchdog_get(ctx) : NULL;
   if (!w) {
      free(sems);
      return false;
   }
   struct timespec d;
   clock_gettime(CLOCK_MONOTONIC, &d);
   add_ns(&d, timeout_ns);
   pthread_mutex_lock(&w->lock);
   free(w->sems);
   w->device = device;
   w->signal = signal;
   w->counter = counter;
   w->period_ns = timeout_ns;
   w->sems = sems;
   w->count = count;
   w->deadline = d;
   w->armed = true;
   w->fired = false;
   pthread_cond_signal(&w->cond);
   pthread_mutex_unlock(&w->lock);
   return true;
}

bool
vlr_watchdog_disarm(struct vlr_watchdog *w)
{
   if (!w)
      return false;
   pthread_mutex_lock(&w->lock);
   const bool fired = w->armed && w->fired;
   w->armed = false;
   w->fired = false;
   free(w->sems);
   w->sems = NULL;
   w->count = 0;
   pthread_mutex_unlock(&w->lock);
   return fired;
}

void
vlr_watchdog_destroy(struct vlr_watchdog *w)
{
   if (!w)
      return;
   pthread_mutex_lock(&w->lock);
   w->stop = true;
   pthread_cond_signal(&w->cond);
   pthread_mutex_unlock(&w->lock);
   pthread_join(w->thread, NULL);
   free(w->sems);
   pthread_cond_destroy(&w->cond);
   pthread_mutex_destroy(&w->lock);
   free(w);
}
