/*
 * Work in flight on the host driver.
 *
 * A host driver without a GPU (lavapipe) runs submitted work on threads of
 * this process.  A guest that destroys, frees or re-records what pending
 * work still uses would make the host driver read or write freed memory: a
 * host crash at best.  So before such a command the renderer waits for the
 * device to go idle, when work may still be in flight.
 *
 * To keep well-behaved guests from waiting, the renderer knows how far
 * submissions have provably completed.  Submissions are numbered per device;
 * a command buffer and a fence keep the number of their last submission
 * (vl_object.flags).  A fence the guest saw signaled proves that its
 * submission, and every earlier one on its queue, has completed (the
 * submission order of Vulkan): a guest that waits for its fences before it
 * reuses things, as Vulkan requires, never waits here.
 *
 * vl_object.flags of a command buffer or fence: bits 0-30 the number of its
 * last submission (0: none), bit 31 (command buffers) "executed by a primary
 * command buffer", whose submissions are not tracked per command buffer.
 * Of a semaphore: bit 0, a timeline semaphore; bit 1, a binary semaphore
 * with a signal pending; bit 2, that signal belongs to a held batch.  A
 * queue operation that waits for a binary semaphore nothing has signaled is
 * refused: the host driver would wait for the signal inside the call, for
 * ever (Vulkan requires one pending).
 *
 * Timeline semaphores may be waited on before they are signaled.  The host
 * driver (Mesa's common queue code) then holds such a batch, and every later
 * one of its queue, on a thread of its own until the value is signaled; a
 * wait for a binary semaphore that a held batch signals blocks inside
 * vkQueueSubmit until then.  Vulkan forbids that wait when the signal
 * depends on the held wait (both must have been submitted); when the signal
 * is only queued behind a held batch, Vulkan allows it, but the host driver
 * blocks all the same, and a native application would need another thread
 * to signal the value.  Here the block is for ever: only the stream the
 * renderer is reading could signal it.  So the renderer follows which
 * values have been signaled and which batches are held, and refuses that
 * wait in both cases.
 *
 * Waiting is bounded: work that waits for an event or a semaphore nobody
 * will signal never completes.  Then the renderer releases it (sets every
 * event, signals every timeline semaphore), and if even that does not end
 * it, the context is lost and the device is left alone at teardown.
 */
#include "vlr_inflight.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vl_protocol_defs.h"
#include "vlr_context.h"
#include "vlr_watchdog.h"

/* How long the renderer waits for submitted work before it releases the
 * waits that hold it (vlr_context_options.idle_timeout_ns overrides). */
#define VLR_IDLE_TIMEOUT_NS (10ull * 1000 * 1000 * 1000)

#define SEQ_MASK  0x7fffffffu
#define SECONDARY 0x80000000u /* command buffers */
#define TIMELINE  1u          /* semaphores */
#define SIGNALED  2u          /* binary semaphores: a signal is pending */
#define HELD      4u          /* binary semaphores: ... behind a held batch */

/* vl_object.data of a timeline semaphore: the largest value a signal for
 * which has reached the host driver's queue (its initial value, a host
 * signal, or a batch that was not held). */
struct vlr_timeline {
   uint64_t reach;
   /* The largest value signaled or scheduled to be, and the values queue
    * batches will signal, ascending, as far as they may still be pending:
    * the host driver loses the device when a timeline's values do not
    * strictly increase (Vulkan requires it), and its queue then blocks the
    * next wait for a binary semaphore for ever. */
   uint64_t scheduled;
   uint32_t npending;
   uint64_t pending[64];
};

/* Submission numbers are 31 bits and wrap; a difference below 2^30 is ahead. */
static bool
after(uint32_t a, uint32_t b)
{
   const uint32_t d = (a - b) & SEQ_MASK;
   return d && d < 0x40000000u;
}

static struct vl_object *
device_of(struct vl_object *o)
{
   while (o && o->type != VK_OBJECT_TYPE_DEVICE)
      o = o->parent;
   return o;
}

static bool
pending(const struct vlr_device *dev, uint32_t flags)
{
   const uint32_t seq = flags & SEQ_MASK;
   return seq && after(seq, dev->completed);
}

/* Waits, at most timeout_ns, for the work submitted to every queue of the
 * device the guest has bound: a fence submitted after it on each. */
static bool
wait_idle(struct vl_object *device, uint64_t timeout_ns)
{
   struct vlr_device *dev = device->data;
   const VkDevice host = (VkDevice)(uintptr_t)device->host;
   VkFence fences[16];
   uint32_t n = 0;
   bool ok = true;
   for (const struct vl_list *l = device->children.next; l != &device->children && ok;
        l = l->next) {
      const struct vl_object *q = vl_object_from_link(l);
      if (q->type != VK_OBJECT_TYPE_QUEUE)
         continue;
      if (n == sizeof(fences) / sizeof(fences[0])) {
         ok = false;
         break;
      }
      const VkFenceCreateInfo info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
      if (dev->table.CreateFence(host, &info, NULL, &fences[n]) != VK_SUCCESS) {
         ok = false;
         break;
      }
      if (dev->table.QueueSubmit((VkQueue)(uintptr_t)q->host, 0, NULL, fences[n]) != VK_SUCCESS)
         ok = false;
      n++;
   }
   if (!ok) {
      /* no way to bound the wait: wait for idle as the guest asked */
      dev->table.DeviceWaitIdle(host);
   } else if (n && dev->table.WaitForFences(host, n, fences, VK_TRUE, timeout_ns) != VK_SUCCESS) {
      return false; /* the fences stay behind: destroying a pending fence is worse */
   }
   for (uint32_t i = 0; i < n; i++)
      dev->table.DestroyFence(host, fences[i], NULL);
   return true;
}

/* Work that waits for an event or a timeline value that no command will
 * set can only be released by the renderer: every event of the device is
 * set and every timeline semaphore signaled to its largest value. */
static void release_held(struct vlr_context *ctx, struct vlr_device *dev);

static void
release_waits(struct vlr_context *ctx, struct vl_object *device)
{
   struct vlr_device *dev = device->data;
   const VkDevice host = (VkDevice)(uintptr_t)device->host;
   for (const struct vl_list *l = device->children.next; l != &device->children; l = l->next) {
      const struct vl_object *o = vl_object_from_link(l);
      if (o->type == VK_OBJECT_TYPE_EVENT && dev->table.SetEvent) {
         dev->table.SetEvent(host, (VkEvent)(uintptr_t)o->host);
      } else if (o->type == VK_OBJECT_TYPE_SEMAPHORE && (o->flags & TIMELINE) &&
                 dev->table.SignalSemaphore) {
         const VkSemaphoreSignalInfo info = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                              .semaphore = (VkSemaphore)(uintptr_t)o->host,
                                              .value = UINT64_MAX };
         dev->table.SignalSemaphore(host, &info);
         struct vlr_timeline *t = o->data;
         if (t) {
            t->reach = t->scheduled = UINT64_MAX;
            t->npending = 0;
         }
      }
   }
   release_held(ctx, dev);
}

bool
vlr_inflight_idle(struct vlr_context *ctx, struct vl_object *device)
{
   const uint64_t timeout =
      ctx->options.idle_timeout_ns ? ctx->options.idle_timeout_ns : VLR_IDLE_TIMEOUT_NS;
   struct vlr_device *dev = device->data;
   if (!wait_idle(device, timeout)) {
      release_waits(ctx, device);
      if (!wait_idle(device, timeout))
         return false;
   }
   dev->completed = dev->submitted;
   return true;
}

/* Waits until everything submitted to the device has completed; false
 * (and the context lost) when it does not. */
static bool
quiesce(struct vlr_exec *x, struct vl_object *device)
{
   struct vlr_device *dev = device->data;
   if (dev->submitted == dev->completed)
      return true;
   if (vlr_inflight_idle(x->ctx, device))
      return true;
   vlr_exec_fail(x, "submitted work does not complete, and this command would destroy, free or "
                    "re-record what it may use");
   return false;
}

static bool
cb_in_flight(const struct vlr_device *dev, const struct vl_object *cb)
{
   /* a secondary is in flight whenever anything may be */
   if (cb->flags & SECONDARY)
      return dev->submitted != dev->completed;
   return pending(dev, cb->flags);
}

static struct vl_object *
lookup(struct vlr_exec *x, int32_t type, uint64_t host)
{
   return host ? vl_object_table_lookup_host(&x->ctx->objects, type, host) : NULL;
}

/* Fence feedback (vlr_feedback.c) proves completion as a fence wait does. */
static void
absorb_feedback(struct vlr_device *dev)
{
   const uint32_t seen = atomic_load_explicit(&dev->feedback_completed, memory_order_acquire);
   if (seen && !dev->several_queues && after(seen, dev->completed))
      dev->completed = seen;
}

/* ---- semaphores ------------------------------------------------------------------ */

/* A batch the host driver holds back because it waits for a timeline value
 * nothing has signaled yet (wait-before-signal).  Mesa's common queue code
 * (lavapipe's) then submits it from a thread of its own, in queue order,
 * once the value is signaled: until then, its signals and those of every
 * later batch of its queue have not reached the driver. */
struct held_sem {
   uint64_t id; /* guest id: looked up again, the semaphore may be gone */
   uint64_t value;
};

struct vlr_held_batch {
   struct vlr_held_batch *next;
   const struct vl_object *queue;
   uint32_t wait_count, signal_count;
   struct held_sem sems[]; /* timeline waits, then signals */
};

/* More held batches than this is a guest filling the host with work that
 * cannot run. */
#define MAX_HELD_BATCHES 65536

struct sem_state {
   struct vl_object *obj;
   uint32_t flags;
   uint64_t reach, scheduled; /* timeline semaphores */
};

/* A timeline value a queue batch signals. */
struct sem_signal {
   struct vl_object *obj;
   uint64_t value;
};

/* One batch of a queue command, as the semaphore model sees it. */
struct batch {
   uint32_t wait_count, signal_count;
   struct held_sem *waits, *signals; /* id: 0 when the semaphore is unknown */
   bool timeline_waits;
};

struct sem_sim {
   struct sem_state *v;
   size_t n, cap;
   bool ok;
   const char *why;
   const struct vl_object *queue;
   bool queue_held;    /* an earlier batch of this queue is held */
   struct batch *held; /* batches held by this command, to keep */
   size_t held_n, held_cap;
   struct sem_signal *sigs; /* timeline signals, in order */
   size_t sigs_n, sigs_cap;
};

static uint64_t
reach_of(const struct vl_object *o)
{
   const struct vlr_timeline *t = o->data;
   /* a timeline semaphore without our state: never hold work behind it */
   return t ? t->reach : UINT64_MAX;
}

static bool
grow(struct vlr_exec *x, void **v, size_t *cap, size_t n, size_t size)
{
   if (n < *cap)
      return true;
   const size_t c = *cap ? *cap * 2 : 16;
   void *p = vlr_exec_args(x, c * size);
   if (!p)
      return false;
   if (n)
      memcpy(p, *v, n * size);
   *v = p;
   *cap = c;
   return true;
}

/* The simulated state of a semaphore (NULL when it is unknown). */
static struct sem_state *
sem(struct vlr_exec *x, struct sem_sim *sim, VkSemaphore host)
{
   struct vl_object *o = lookup(x, VK_OBJECT_TYPE_SEMAPHORE, (uint64_t)(uintptr_t)host);
   if (!o)
      return NULL;
   for (size_t i = 0; i < sim->n; i++) {
      if (sim->v[i].obj == o)
         return &sim->v[i];
   }
   if (!grow(x, (void **)&sim->v, &sim->cap, sim->n, sizeof(*sim->v))) {
      sim->ok = false;
      return NULL;
   }
   const struct vlr_timeline *t = (o->flags & TIMELINE) ? o->data : NULL;
   sim->v[sim->n] =
      (struct sem_state){ o, o->flags, t ? t->reach : UINT64_MAX, t ? t->scheduled : 0 };
   return &sim->v[sim->n++];
}

static void
refuse(struct sem_sim *sim, const char *why)
{
   if (sim->ok)
      sim->why = why;
   sim->ok = false;
}

/* Runs one batch: its waits, then its signals. */
static void
sim_batch(struct vlr_exec *x, struct sem_sim *sim, const VkSemaphore *waits,
          const uint64_t *wait_values, uint32_t wait_count, const VkSemaphore *signals,
          const uint64_t *signal_values, uint32_t signal_count)
{
   struct held_sem *w = wait_count ? vlr_exec_args(x, wait_count * sizeof(*w)) : NULL;
   struct held_sem *s = signal_count ? vlr_exec_args(x, signal_count * sizeof(*s)) : NULL;
   if ((wait_count && !w) || (signal_count && !s)) {
      sim->ok = false;
      return;
   }
   struct batch b = { .waits = w, .signals = s };
   bool held = sim->queue_held;
   for (uint32_t j = 0; waits && j < wait_count; j++) {
      struct sem_state *st = sem(x, sim, waits[j]);
      if (!st)
         continue;
      if (st->flags & TIMELINE) {
         const uint64_t v = wait_values ? wait_values[j] : 0;
         if (v > st->reach)
            held = true;
         b.waits[b.wait_count++] = (struct held_sem){ st->obj->id, v };
         continue;
      }
      if (!(st->flags & SIGNALED))
         refuse(sim, "waits for a binary semaphore that nothing has signaled");
      else if (st->flags & HELD)
         refuse(sim, "waits for a binary semaphore whose signal is itself held back by a wait "
                     "for a timeline value nothing has signaled (the host driver would block "
                     "inside the call)");
      st->flags &= ~(SIGNALED | HELD);
   }
   for (uint32_t j = 0; signals && j < signal_count; j++) {
      struct sem_state *st = sem(x, sim, signals[j]);
      if (!st)
         continue;
      if (st->flags & TIMELINE) {
         const uint64_t v = signal_values ? signal_values[j] : 0;
         if (st->obj->data && v <= st->scheduled) {
            refuse(sim, "signals a timeline semaphore with a value not above one already "
                        "signaled or scheduled (timeline values must strictly increase)");
            continue;
         }
         st->scheduled = v;
         if (grow(x, (void **)&sim->sigs, &sim->sigs_cap, sim->sigs_n, sizeof(*sim->sigs)))
            sim->sigs[sim->sigs_n++] = (struct sem_signal){ st->obj, v };
         else
            sim->ok = false;
         if (!held && v > st->reach)
            st->reach = v;
         b.signals[b.signal_count++] = (struct held_sem){ st->obj->id, v };
      } else {
         st->flags = (st->flags & ~HELD) | SIGNALED | (held ? HELD : 0);
         b.signals[b.signal_count++] = (struct held_sem){ st->obj->id, 0 };
      }
   }
   if (!held)
      return;
   sim->queue_held = true;
   if (!grow(x, (void **)&sim->held, &sim->held_cap, sim->held_n, sizeof(*sim->held))) {
      sim->ok = false;
      return;
   }
   sim->held[sim->held_n++] = b;
}

/* The values of a VkTimelineSemaphoreSubmitInfo for count semaphores: NULL
 * (all 0, as the host's common code reads them) when there is none. */
static const uint64_t *
timeline_values(struct sem_sim *sim, const void *pnext, bool wait, uint32_t count)
{
   for (const VkBaseInStructure *p = pnext; p; p = p->pNext) {
      if (p->sType != VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO)
         continue;
      const VkTimelineSemaphoreSubmitInfo *t = (const VkTimelineSemaphoreSubmitInfo *)p;
      const uint32_t n = wait ? t->waitSemaphoreValueCount : t->signalSemaphoreValueCount;
      const uint64_t *v = wait ? t->pWaitSemaphoreValues : t->pSignalSemaphoreValues;
      if (!n || !v)
         return NULL;
      if (n < count) {
         /* the host would read values past the array */
         refuse(sim, wait ? "VkTimelineSemaphoreSubmitInfo has fewer wait values than the batch "
                            "has wait semaphores"
                          : "VkTimelineSemaphoreSubmitInfo has fewer signal values than the "
                            "batch has signal semaphores");
         return NULL;
      }
      return v;
   }
   return NULL;
}

static struct vl_object *
device_of_queue(const struct vl_object *queue)
{
   return device_of((struct vl_object *)queue);
}

static bool
queue_has_held(const struct vlr_device *dev, const struct vl_object *queue)
{
   for (const struct vlr_held_batch *h = dev->held; h; h = h->next) {
      if (h->queue == queue)
         return true;
   }
   return false;
}

/* Keeps the batches this command leaves held. */
static bool
keep_held(struct vlr_device *dev, const struct sem_sim *sim)
{
   struct vlr_held_batch **tail = &dev->held;
   while (*tail)
      tail = &(*tail)->next;
   for (size_t i = 0; i < sim->held_n; i++) {
      const struct batch *b = &sim->held[i];
      if (dev->held_count >= MAX_HELD_BATCHES)
         return false;
      const size_t n = (size_t)b->wait_count + b->signal_count;
      struct vlr_held_batch *h = malloc(sizeof(*h) + n * sizeof(h->sems[0]));
      if (!h)
         return false;
      h->next = NULL;
      h->queue = sim->queue;
      h->wait_count = b->wait_count;
      h->signal_count = b->signal_count;
      if (b->wait_count)
         memcpy(h->sems, b->waits, b->wait_count * sizeof(h->sems[0]));
      if (b->signal_count)
         memcpy(h->sems + b->wait_count, b->signals, b->signal_count * sizeof(h->sems[0]));
      *tail = h;
      tail = &h->next;
      dev->held_count++;
   }
   return true;
}

static struct vl_object *
semaphore_by_id(struct vlr_context *ctx, uint64_t id)
{
   struct vl_object *o = vl_object_table_lookup(&ctx->objects, id);
   return o && o->type == VK_OBJECT_TYPE_SEMAPHORE ? o : NULL;
}

/* A timeline value was signaled: batches whose waits are now all within
 * reach get to the host driver, in queue order, and their signals with
 * them. */
static void
release_held(struct vlr_context *ctx, struct vlr_device *dev)
{
   bool progress = true;
   while (progress && dev->held) {
      progress = false;
      for (struct vlr_held_batch **p = &dev->held; *p;) {
         struct vlr_held_batch *h = *p;
         /* only the first held batch of its queue can go */
         bool first = true;
         for (const struct vlr_held_batch *e = dev->held; e != h; e = e->next)
            first = first && e->queue != h->queue;
         bool ready = first;
         for (uint32_t i = 0; ready && i < h->wait_count; i++) {
            const struct vl_object *o = semaphore_by_id(ctx, h->sems[i].id);
            ready = !o || h->sems[i].value <= reach_of(o);
         }
         if (!ready) {
            p = &h->next;
            continue;
         }
         for (uint32_t i = 0; i < h->signal_count; i++) {
            struct vl_object *o = semaphore_by_id(ctx, h->sems[h->wait_count + i].id);
            if (!o)
               continue;
            struct vlr_timeline *t = o->data;
            if (!(o->flags & TIMELINE))
               o->flags &= ~HELD;
            else if (t && h->sems[h->wait_count + i].value > t->reach)
               t->reach = h->sems[h->wait_count + i].value;
         }
         *p = h->next;
         free(h);
         dev->held_count--;
         progress = true;
      }
   }
}

bool
vlr_inflight_timeline(const struct vl_object *semaphore)
{
   return semaphore && semaphore->type == VK_OBJECT_TYPE_SEMAPHORE && (semaphore->flags & TIMELINE);
}

void
vlr_inflight_finish(struct vlr_device *dev)
{
   while (dev->held) {
      struct vlr_held_batch *h = dev->held;
      dev->held = h->next;
      free(h);
   }
   dev->held_count = 0;
}

/* Drops the pending values the semaphore has reached on the host; *cur
 * receives its value (0 when the host cannot say). */
static void
prune_pending(struct vl_object *sem, struct vlr_timeline *t, uint64_t *cur)
{
   struct vl_object *device = device_of(sem);
   const struct vlr_device *dev = device ? device->data : NULL;
   *cur = 0;
   if (!dev || !dev->table.GetSemaphoreCounterValue ||
       dev->table.GetSemaphoreCounterValue((VkDevice)(uintptr_t)device->host,
                                           (VkSemaphore)(uintptr_t)sem->host, cur) != VK_SUCCESS)
      return;
   uint32_t k = 0;
   while (k < t->npending && t->pending[k] <= *cur)
      k++;
   memmove(t->pending, t->pending + k, (t->npending - k) * sizeof(t->pending[0]));
   t->npending -= k;
}

static bool
add_pending(struct vl_object *sem, uint64_t value)
{
   struct vlr_timeline *t = sem->data;
   const uint32_t cap = sizeof(t->pending) / sizeof(t->pending[0]);
   if (!t)
      return true;
   if (t->npending == cap) {
      uint64_t cur;
      prune_pending(sem, t, &cur);
   }
   if (t->npending == cap)
      return false;
   t->pending[t->npending++] = value;
   return true;
}

bool
vlr_inflight_host_signal_ok(struct vlr_exec *x, const VkSemaphoreSignalInfo *info)
{
   struct vl_object *sem =
      lookup(x, VK_OBJECT_TYPE_SEMAPHORE, (uint64_t)(uintptr_t)info->semaphore);
   struct vlr_timeline *t = sem ? sem->data : NULL;
   if (!t)
      return true;
   uint64_t cur;
   prune_pending(sem, t, &cur);
   if (info->value <= cur) {
      vlr_exec_failf(x,
                     "vkSignalSemaphore to %" PRIu64 ", not above the semaphore's value %" PRIu64,
                     info->value, cur);
      return false;
   }
   if (t->npending && info->value >= t->pending[0]) {
      vlr_exec_failf(x,
                     "vkSignalSemaphore to %" PRIu64 ", not below the value %" PRIu64
                     " a queue batch is still to signal",
                     info->value, t->pending[0]);
      return false;
   }
   return true;
}

/* Runs the semaphore operations of a queue command in order; false when
 * the host driver would block inside the call for ever (sim->why says
 * why).  apply: keep the resulting state. */
static bool
semaphores(struct vlr_exec *x, int32_t id, struct vl_object *owner, const void *args, bool apply)
{
   struct sem_sim sim = { .ok = true, .queue = owner };
   struct vl_object *device = device_of_queue(owner);
   struct vlr_device *dev = device ? device->data : NULL;
   sim.queue_held = dev && queue_has_held(dev, owner);
   switch (id) {
   case VL_CMD_vkQueueSubmit: {
      const struct vl_args_vkQueueSubmit *a = args;
      for (uint32_t i = 0; a->pSubmits && i < a->submitCount; i++) {
         const VkSubmitInfo *b = &a->pSubmits[i];
         const uint64_t *wv = timeline_values(&sim, b->pNext, true, b->waitSemaphoreCount);
         const uint64_t *sv = timeline_values(&sim, b->pNext, false, b->signalSemaphoreCount);
         sim_batch(x, &sim, b->pWaitSemaphores, wv, b->waitSemaphoreCount, b->pSignalSemaphores, sv,
                   b->signalSemaphoreCount);
      }
      break;
   }
   case VL_CMD_vkQueueSubmit2: {
      const struct vl_args_vkQueueSubmit2 *a = args;
      for (uint32_t i = 0; a->pSubmits && i < a->submitCount && sim.ok; i++) {
         const VkSubmitInfo2 *b = &a->pSubmits[i];
         const uint32_t nw = b->pWaitSemaphoreInfos ? b->waitSemaphoreInfoCount : 0;
         const uint32_t ns = b->pSignalSemaphoreInfos ? b->signalSemaphoreInfoCount : 0;
         VkSemaphore *ws = nw ? vlr_exec_args(x, nw * sizeof(*ws)) : NULL;
         VkSemaphore *ss = ns ? vlr_exec_args(x, ns * sizeof(*ss)) : NULL;
         uint64_t *wv = nw ? vlr_exec_args(x, nw * sizeof(*wv)) : NULL;
         uint64_t *sv = ns ? vlr_exec_args(x, ns * sizeof(*sv)) : NULL;
         if ((nw && (!ws || !wv)) || (ns && (!ss || !sv))) {
            sim.ok = false;
            break;
         }
         for (uint32_t j = 0; j < nw; j++) {
            ws[j] = b->pWaitSemaphoreInfos[j].semaphore;
            wv[j] = b->pWaitSemaphoreInfos[j].value;
         }
         for (uint32_t j = 0; j < ns; j++) {
            ss[j] = b->pSignalSemaphoreInfos[j].semaphore;
            sv[j] = b->pSignalSemaphoreInfos[j].value;
         }
         sim_batch(x, &sim, ws, wv, nw, ss, sv, ns);
      }
      break;
   }
   case VL_CMD_vkQueueBindSparse: {
      const struct vl_args_vkQueueBindSparse *a = args;
      for (uint32_t i = 0; a->pBindInfo && i < a->bindInfoCount; i++) {
         const VkBindSparseInfo *b = &a->pBindInfo[i];
         const uint64_t *wv = timeline_values(&sim, b->pNext, true, b->waitSemaphoreCount);
         const uint64_t *sv = timeline_values(&sim, b->pNext, false, b->signalSemaphoreCount);
         sim_batch(x, &sim, b->pWaitSemaphores, wv, b->waitSemaphoreCount, b->pSignalSemaphores, sv,
                   b->signalSemaphoreCount);
      }
      break;
   }
   case VL_CMD_vkQueuePresentKHR: {
      const VkPresentInfoKHR *p = ((const struct vl_args_vkQueuePresentKHR *)args)->pPresentInfo;
      if (p)
         sim_batch(x, &sim, p->pWaitSemaphores, NULL, p->waitSemaphoreCount, NULL, NULL, 0);
      sim.held_n = 0; /* presentation holds nothing of its own */
      break;
   }
   case VL_CMD_vkAcquireNextImageKHR: {
      const VkSemaphore s = ((const struct vl_args_vkAcquireNextImageKHR *)args)->semaphore;
      sim.queue_held = false; /* not a queue operation */
      sim_batch(x, &sim, NULL, NULL, 0, &s, NULL, 1);
      break;
   }
   case VL_CMD_vkAcquireNextImage2KHR: {
      const VkAcquireNextImageInfoKHR *i =
         ((const struct vl_args_vkAcquireNextImage2KHR *)args)->pAcquireInfo;
      sim.queue_held = false;
      if (i)
         sim_batch(x, &sim, NULL, NULL, 0, &i->semaphore, NULL, 1);
      break;
   }
   default:
      break;
   }
   if (!sim.ok) {
      if (!apply)
         vlr_exec_fail(x, sim.why ? sim.why : "out of memory for the semaphore model");
      return false;
   }
   if (!apply)
      return true;
   for (size_t i = 0; i < sim.n; i++) {
      struct vl_object *o = sim.v[i].obj;
      o->flags = sim.v[i].flags;
      struct vlr_timeline *t = o->data;
      if ((o->flags & TIMELINE) && t) {
         t->reach = sim.v[i].reach;
         t->scheduled = sim.v[i].scheduled;
      }
   }
   for (size_t i = 0; i < sim.sigs_n; i++) {
      if (!add_pending(sim.sigs[i].obj, sim.sigs[i].value)) {
         vlr_exec_fail(x, "more than 64 signals of one timeline semaphore are pending");
         return false;
      }
   }
   if (dev && sim.held_n)
      dev->ever_held = true;
   if (dev && sim.held_n && !keep_held(dev, &sim)) {
      vlr_exec_fail(x, "too many submitted batches wait for timeline values nothing has signaled");
      return false;
   }
   if (dev && dev->held)
      release_held(x->ctx, dev);
   return true;
}

/* ---- before and after commands --------------------------------------------------------- */

static bool device_before(struct vlr_exec *x, int32_t id, struct vl_object *owner,
                          const void *args);

/* Once the host's queue has held a batch back, a queue command may block
 * inside the host driver in ways the model above cannot see: it runs under
 * the watchdog. */
static void
guard(struct vlr_exec *x, struct vl_object *queue)
{
   struct vl_object *device = device_of(queue);
   struct vlr_device *dev = device ? device->data : NULL;
   if (!dev || !dev->ever_held || !dev->table.SignalSemaphore)
      return;
   uint32_t n = 0;
   for (const struct vl_list *l = device->children.next; l != &device->children; l = l->next)
      n += vlr_inflight_timeline(vl_object_from_link(l));
   VkSemaphore *sems = malloc((n ? n : 1) * sizeof(*sems));
   if (!sems)
      return;
   uint32_t i = 0;
   for (const struct vl_list *l = device->children.next; l != &device->children && i < n;
        l = l->next) {
      const struct vl_object *o = vl_object_from_link(l);
      if (vlr_inflight_timeline(o))
         sems[i++] = (VkSemaphore)(uintptr_t)o->host;
   }
   const uint64_t timeout =
      x->ctx->options.idle_timeout_ns ? x->ctx->options.idle_timeout_ns : VLR_IDLE_TIMEOUT_NS;
   x->ctx->watchdog_armed =
      vlr_watchdog_arm(x->ctx, (VkDevice)(uintptr_t)device->host, dev->table.SignalSemaphore,
                       dev->table.GetSemaphoreCounterValue, sems, i, timeout);
}

/* Out of line, so that the common case below stays a few instructions. */
static __attribute__((noinline)) bool
queue_before(struct vlr_exec *x, int32_t id, struct vl_object *owner, const void *args)
{
   if (!semaphores(x, id, owner, args, false))
      return false;
   guard(x, owner);
   /* The arguments are the executor's own (non-const) storage: the fence
    * is the one thing a hook changes before the host call. */
   if (id == VL_CMD_vkQueueSubmit)
      return vlr_feedback_before_submit(x, owner, &((struct vl_args_vkQueueSubmit *)args)->fence);
   if (id == VL_CMD_vkQueueSubmit2)
      return vlr_feedback_before_submit(x, owner, &((struct vl_args_vkQueueSubmit2 *)args)->fence);
   return true;
}

static __attribute__((noinline)) bool
recording_before(struct vlr_exec *x, int32_t id, struct vl_object *owner, const void *args)
{
   struct vlr_context *ctx = x->ctx;
   if (!device_before(x, id, owner, args))
      return false;
   ctx->idle_cb = owner;
   ctx->idle_cb_generation = ctx->objects.generation;
   return true;
}

static __attribute__((noinline)) bool
other_before(struct vlr_exec *x, int32_t id, struct vl_object *owner, const void *args)
{
   if (!device_before(x, id, owner, args))
      return false;
   if (id == VL_CMD_vkDestroySemaphore && x->destroyed) {
      vl_object_free_data(x->destroyed);
   }
   return true;
}

bool
vlr_inflight_before(struct vlr_exec *x, int32_t id, struct vl_object *owner, const void *args)
{
   if (owner && owner->type == VK_OBJECT_TYPE_COMMAND_BUFFER) {
      /* Every command of a recording names the same command buffer: once
       * it is known idle, it stays so until the next submission. */
      const struct vlr_context *ctx = x->ctx;
      if (owner == ctx->idle_cb && ctx->idle_cb_generation == ctx->objects.generation)
         return true;
      return recording_before(x, id, owner, args);
   }
   if (owner && owner->type == VK_OBJECT_TYPE_QUEUE)
      return queue_before(x, id, owner, args);
   return other_before(x, id, owner, args);
}

static bool
device_before(struct vlr_exec *x, int32_t id, struct vl_object *owner, const void *args)
{
   struct vl_object *device = device_of(owner);
   struct vlr_device *dev = device ? device->data : NULL;
   if (dev && dev->submitted != dev->completed)
      absorb_feedback(dev);
   if (!dev || dev->submitted == dev->completed)
      return true; /* nothing in flight */
   switch (id) {
   case VL_CMD_vkFreeCommandBuffers: {
      const struct vl_args_vkFreeCommandBuffers *a = args;
      for (uint32_t i = 0; a->pCommandBuffers && i < a->commandBufferCount; i++) {
         const struct vl_object *cb =
            lookup(x, VK_OBJECT_TYPE_COMMAND_BUFFER, (uint64_t)(uintptr_t)a->pCommandBuffers[i]);
         if (cb && cb_in_flight(dev, cb))
            return quiesce(x, device);
      }
      return true;
   }
   case VL_CMD_vkResetCommandPool:
   case VL_CMD_vkDestroyCommandPool: {
      const uint64_t pool_host =
         id == VL_CMD_vkResetCommandPool
            ? (uint64_t)(uintptr_t)((const struct vl_args_vkResetCommandPool *)args)->commandPool
            : (uint64_t)(uintptr_t)((const struct vl_args_vkDestroyCommandPool *)args)->commandPool;
      const struct vl_object *pool = lookup(x, VK_OBJECT_TYPE_COMMAND_POOL, pool_host);
      if (!pool)
         return true;
      for (const struct vl_list *l = pool->children.next; l != &pool->children; l = l->next) {
         if (cb_in_flight(dev, vl_object_from_link(l)))
            return quiesce(x, device);
      }
      return true;
   }
   default:
      break;
   }
   /* recording into, resetting or re-beginning a command buffer */
   if (owner->type == VK_OBJECT_TYPE_COMMAND_BUFFER)
      return !cb_in_flight(dev, owner) || quiesce(x, device);
   /* destroying, freeing or resetting a resource: its users are unknown */
   return quiesce(x, device);
}

static void
stamp_cb(struct vlr_exec *x, VkCommandBuffer host, uint32_t seq)
{
   struct vl_object *cb = lookup(x, VK_OBJECT_TYPE_COMMAND_BUFFER, (uint64_t)(uintptr_t)host);
   if (cb)
      cb->flags = (cb->flags & SECONDARY) | seq;
}

static void
stamp_fence(struct vlr_exec *x, const struct vlr_device *dev, VkFence host, uint32_t seq)
{
   struct vl_object *fence = lookup(x, VK_OBJECT_TYPE_FENCE, (uint64_t)(uintptr_t)host);
   /* A fence submitted again while pending (invalid) keeps its first
    * number: its signal proves no more than that. */
   if (fence && !pending(dev, fence->flags))
      fence->flags = seq;
}

/* The guest saw the fence signaled. */
static void
signaled(struct vlr_exec *x, struct vlr_device *dev, VkFence host)
{
   const struct vl_object *fence = lookup(x, VK_OBJECT_TYPE_FENCE, (uint64_t)(uintptr_t)host);
   if (fence && !dev->several_queues && pending(dev, fence->flags))
      dev->completed = fence->flags & SEQ_MASK;
}

static uint32_t
next_submission(struct vlr_exec *x, struct vlr_device *dev, struct vl_object *queue)
{
   /* primaries it names, and every secondary, may be in flight now */
   x->ctx->idle_cb = NULL;
   /* Fences prove the order of one queue only. */
   if (dev->queue && dev->queue != queue)
      dev->several_queues = true;
   dev->queue = queue;
   dev->submitted = (dev->submitted + 1) & SEQ_MASK;
   if (!dev->submitted)
      dev->submitted = 1;
   return dev->submitted;
}

void
vlr_inflight_after(struct vlr_exec *x, int32_t id, struct vl_object *owner, const void *args)
{
   struct vl_object *device = device_of(owner);
   struct vlr_device *dev = device ? device->data : NULL;
   if (!dev)
      return;
   switch (id) {
   case VL_CMD_vkQueuePresentKHR:
      semaphores(x, id, owner, args, true);
      return;
   case VL_CMD_vkAcquireNextImageKHR:
   case VL_CMD_vkAcquireNextImage2KHR: {
      const VkResult r = id == VL_CMD_vkAcquireNextImageKHR
                            ? ((const struct vl_args_vkAcquireNextImageKHR *)args)->ret
                            : ((const struct vl_args_vkAcquireNextImage2KHR *)args)->ret;
      if (r == VK_SUCCESS || r == VK_SUBOPTIMAL_KHR)
         semaphores(x, id, owner, args, true);
      return;
   }
   case VL_CMD_vkQueueSubmit: {
      const struct vl_args_vkQueueSubmit *a = args;
      if (a->ret != VK_SUCCESS) {
         vlr_feedback_after_submit(x, owner, a->ret);
         return;
      }
      semaphores(x, id, owner, args, true);
      const uint32_t seq = next_submission(x, dev, owner);
      for (uint32_t i = 0; a->pSubmits && i < a->submitCount; i++) {
         const VkSubmitInfo *s = &a->pSubmits[i];
         for (uint32_t j = 0; s->pCommandBuffers && j < s->commandBufferCount; j++)
            stamp_cb(x, s->pCommandBuffers[j], seq);
      }
      stamp_fence(x, dev, a->fence, seq);
      vlr_feedback_after_submit(x, owner, VK_SUCCESS);
      return;
   }
   case VL_CMD_vkQueueSubmit2: {
      const struct vl_args_vkQueueSubmit2 *a = args;
      if (a->ret != VK_SUCCESS) {
         vlr_feedback_after_submit(x, owner, a->ret);
         return;
      }
      semaphores(x, id, owner, args, true);
      const uint32_t seq = next_submission(x, dev, owner);
      for (uint32_t i = 0; a->pSubmits && i < a->submitCount; i++) {
         const VkSubmitInfo2 *s = &a->pSubmits[i];
         for (uint32_t j = 0; s->pCommandBufferInfos && j < s->commandBufferInfoCount; j++)
            stamp_cb(x, s->pCommandBufferInfos[j].commandBuffer, seq);
      }
      stamp_fence(x, dev, a->fence, seq);
      vlr_feedback_after_submit(x, owner, VK_SUCCESS);
      return;
   }
   case VL_CMD_vkQueueBindSparse: {
      const struct vl_args_vkQueueBindSparse *a = args;
      if (a->ret != VK_SUCCESS)
         return;
      semaphores(x, id, owner, args, true);
      stamp_fence(x, dev, a->fence, next_submission(x, dev, owner));
      return;
   }
   case VL_CMD_vkCmdExecuteCommands: {
      const struct vl_args_vkCmdExecuteCommands *a = args;
      for (uint32_t i = 0; a->pCommandBuffers && i < a->commandBufferCount; i++) {
         struct vl_object *cb =
            lookup(x, VK_OBJECT_TYPE_COMMAND_BUFFER, (uint64_t)(uintptr_t)a->pCommandBuffers[i]);
         if (cb)
            cb->flags |= SECONDARY;
      }
      x->ctx->idle_cb = NULL; /* a secondary is in flight whenever anything is */
      return;
   }
   case VL_CMD_vkCreateSemaphore: {
      const struct vl_args_vkCreateSemaphore *a = args;
      if (a->ret != VK_SUCCESS || !a->pSemaphore)
         return;
      for (const VkBaseInStructure *s = a->pCreateInfo->pNext; s; s = s->pNext) {
         if (s->sType == VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO &&
             ((const VkSemaphoreTypeCreateInfo *)s)->semaphoreType == VK_SEMAPHORE_TYPE_TIMELINE) {
            struct vl_object *o =
               vl_object_table_lookup(&x->ctx->objects, (uint64_t)(uintptr_t)*a->pSemaphore);
            if (!o || o->type != VK_OBJECT_TYPE_SEMAPHORE)
               return;
            o->flags |= TIMELINE;
            struct vlr_timeline *t = calloc(1, sizeof(*t));
            if (!t) {
               vlr_exec_fail(x, "out of memory for a timeline semaphore's state");
               return;
            }
            t->reach = t->scheduled = ((const VkSemaphoreTypeCreateInfo *)s)->initialValue;
            vl_object_free_data(o);
            o->data = t;
         }
      }
      return;
   }
   case VL_CMD_vkSignalSemaphore: {
      const struct vl_args_vkSignalSemaphore *a = args;
      if (a->ret != VK_SUCCESS || !a->pSignalInfo)
         return;
      struct vl_object *o =
         lookup(x, VK_OBJECT_TYPE_SEMAPHORE, (uint64_t)(uintptr_t)a->pSignalInfo->semaphore);
      struct vlr_timeline *t = o && (o->flags & TIMELINE) ? o->data : NULL;
      if (t && a->pSignalInfo->value > t->scheduled)
         t->scheduled = a->pSignalInfo->value;
      if (t && a->pSignalInfo->value > t->reach) {
         t->reach = a->pSignalInfo->value;
         release_held(x->ctx, dev);
      }
      return;
   }
   case VL_CMD_vkWaitForFences: {
      const struct vl_args_vkWaitForFences *a = args;
      /* with waitAny, which fence signaled is unknown */
      if (a->ret != VK_SUCCESS || (!a->waitAll && a->fenceCount != 1))
         return;
      for (uint32_t i = 0; a->pFences && i < a->fenceCount; i++)
         signaled(x, dev, a->pFences[i]);
      return;
   }
   case VL_CMD_vkGetFenceStatus: {
      const struct vl_args_vkGetFenceStatus *a = args;
      if (a->ret == VK_SUCCESS)
         signaled(x, dev, a->fence);
      return;
   }
   default:
      return;
   }
}
