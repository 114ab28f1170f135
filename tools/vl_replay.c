/* Replaying and flattening captures (see vl_replay.h). */
#include "vl_replay.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vl_dump_gen.h"
#include "vl_protocol_any.h"
#include "vl_protocol_guest.h"
#include "vlr_renderer.h"

/* The replay's reply stream: big enough for any reply of the integration
 * tests; a bigger one loses the context, which the report then says. */
#define REPLY_SIZE ((size_t)16 << 20)

struct ctx_state {
   uint32_t tag;
   unsigned number; /* 1, 2, ... in order of first appearance */
   struct vlr_context *ctx;
   void *reply_mem;
   FILE *flat;
   uint64_t streams, commands, replies, skipped, inlined, missing, polls, differ;
   uint64_t cmd_no;
   bool lost, malformed;
   char why[768];
};

struct replay {
   struct vl_capture *c;
   const struct vl_replay_options *o;
   struct ctx_state *ctxs;
   size_t count;
   uint8_t *buf;
   size_t buf_cap;
   bool io_error;
};

/* ---- hang detection ---------------------------------------------------------------- */

static char hang_message[1024];

static void
on_alarm(int sig)
{
   (void)sig;
   static const char prefix[] = "vl-dump: replay hung: ";
   ssize_t r = write(STDERR_FILENO, prefix, sizeof(prefix) - 1);
   r = write(STDERR_FILENO, hang_message, strlen(hang_message));
   r = write(STDERR_FILENO, "\n", 1);
   (void)r;
   _exit(3);
}

/* ---- per context ------------------------------------------------------------------- */

static struct ctx_state *
context_for(struct replay *rp, uint32_t tag)
{
   for (size_t i = 0; i < rp->count; i++) {
      if (rp->ctxs[i].tag == tag)
         return &rp->ctxs[i];
   }
   struct ctx_state *all = realloc(rp->ctxs, (rp->count + 1) * sizeof(*all));
   if (!all)
      return NULL;
   rp->ctxs = all;
   struct ctx_state *s = &all[rp->count++];
   memset(s, 0, sizeof(*s));
   s->tag = tag;
   s->number = (unsigned)rp->count;
   const struct vl_replay_options *o = rp->o;
   if (o->flatten_prefix) {
      char path[4096];
      snprintf(path, sizeof(path), "%s.%u", o->flatten_prefix, s->number);
      s->flat = fopen(path, "wb");
      if (!s->flat) {
         fprintf(o->log, "vl-dump: cannot write %s\n", path);
         rp->io_error = true;
      }
   }
   if (o->execute) {
      char err[512] = "";
      /* the default host (lavapipe); a capture may come from any peer, so
       * every command id the protocol knows is accepted */
      const struct vlr_context_options opts = {
         .wire_formats = VL_WIRE_FORMAT_0 | VL_WIRE_FORMAT_1 | VL_WIRE_PRIVATE,
      };
      s->ctx = vlr_context_create(&opts, err, sizeof(err));
      s->reply_mem = calloc(1, REPLY_SIZE);
      if (!s->ctx || !s->reply_mem) {
         snprintf(s->why, sizeof(s->why), "no renderer context: %s",
                  err[0] ? err : "out of memory");
         s->lost = true;
      }
   }
   return s;
}

static bool
reserve(struct replay *rp, size_t size)
{
   if (size <= rp->buf_cap)
      return true;
   uint8_t *b = realloc(rp->buf, size);
   if (!b)
      return false;
   rp->buf = b;
   rp->buf_cap = size;
   return true;
}

static const char *
name_of(int32_t id)
{
   const struct vl_command_info *info = vl_command_info(id);
   return info ? info->name : "unknown command";
}

/* Commands that report progress rather than wait for it: polled again
 * until they report what the capture recorded. */
static bool
polled(int32_t id)
{
   return id == VL_CMD_vkWaitForFences || id == VL_CMD_vkGetFenceStatus ||
          id == VL_CMD_vkWaitSemaphores || id == VL_CMD_vkGetEventStatus ||
          id == VL_CMD_vkGetQueryPoolResults;
}

static bool
not_yet(int32_t result)
{
   return result == VK_TIMEOUT || result == VK_NOT_READY || result == VK_EVENT_RESET;
}

/* What the replayed command returned, from its reply. */
static bool
replayed_result(struct ctx_state *s, struct vl_walk *w, int32_t *result)
{
   struct vl_decoder dec;
   vl_dec_init(&dec, s->reply_mem, REPLY_SIZE, NULL, NULL);
   return vl_decode_any_reply(&dec, w->id, w->args) && !dec.error &&
          vl_args_vkresult(w->id, w->args, result);
}

/* The command as a Venus guest sends it on a stream of a ring or transport
 * (the flattened form, which fuzz_renderer submits that way): a wait that
 * may block becomes a poll, and a reply is preceded by a rewind of the
 * reply stream.  Returns its size in rp->buf, 0 on failure. */
static size_t
direct_form(struct replay *rp, struct vl_walk *w)
{
   if (!reserve(rp, w->length + 32))
      return 0;
   struct vl_encoder enc;
   vl_enc_init(&enc, rp->buf, w->length + 32);
   if (w->flags & VK_COMMAND_GENERATE_REPLY_BIT_EXT)
      vl_encode_vkSeekReplyCommandStreamMESA(&enc, 0, 0);
   switch (w->id) {
   case VL_CMD_vkWaitForFences:
      ((struct vl_args_vkWaitForFences *)w->args)->timeout = 0;
      vl_reencode_any(&enc, w->id, w->flags, w->args);
      break;
   case VL_CMD_vkWaitSemaphores:
      ((struct vl_args_vkWaitSemaphores *)w->args)->timeout = 0;
      vl_reencode_any(&enc, w->id, w->flags, w->args);
      break;
   case VL_CMD_vkGetQueryPoolResults:
      ((struct vl_args_vkGetQueryPoolResults *)w->args)->flags &= ~VK_QUERY_RESULT_WAIT_BIT;
      vl_reencode_any(&enc, w->id, w->flags, w->args);
      break;
   default:
      vl_enc_bytes(&enc, w->data + w->offset, w->length, w->length);
      break;
   }
   return enc.overflow ? 0 : (size_t)(enc.cur - rp->buf);
}

/* Runs the command on this thread, as the application's own thread runs
 * its calls in-process: waits may block, a reply comes back directly. */
static bool
run(struct ctx_state *s, const struct vl_walk *w)
{
   const uint8_t *cmd = w->data + w->offset;
   if (w->flags & VK_COMMAND_GENERATE_REPLY_BIT_EXT)
      return vlr_context_call(s->ctx, cmd, w->length, s->reply_mem, REPLY_SIZE);
   return vlr_context_execute(s->ctx, cmd, w->length);
}

/* One command: written in its flattened form, and replayed on its own.
 * captured: the result the capture recorded for it, if any. */
static void
emit(struct replay *rp, struct ctx_state *s, const struct vl_record *r, struct vl_walk *w,
     const int32_t *captured)
{
   s->commands++;
   if (w->flags & VK_COMMAND_GENERATE_REPLY_BIT_EXT)
      s->replies++;
   if (s->flat) {
      const size_t n = direct_form(rp, w);
      if (!n || fwrite(rp->buf, 1, n, s->flat) != n)
         rp->io_error = true;
   }
   if (!s->ctx)
      return;
   snprintf(hang_message, sizeof(hang_message),
            "context %u, record seq %" PRIu64 " (%s), command #%" PRIu64 " at byte %zu: %s",
            s->number, r->seq, vl_record_kind_name(r->kind), s->cmd_no, w->offset, name_of(w->id));
   if (rp->o->timeout)
      alarm(rp->o->timeout);
   bool ok = run(s, w);
   int32_t result;
   if (ok && captured && replayed_result(s, w, &result)) {
      /* The application polled until this answer: so does the replay. */
      while (ok && polled(w->id) && result != *captured && not_yet(result)) {
         const struct timespec pause = { 0, 100000 };
         nanosleep(&pause, NULL);
         ok = run(s, w) && replayed_result(s, w, &result);
         s->polls++;
      }
      /* a poll that found the work done earlier than the capture did is
       * timing, not a difference */
      if (ok && result != *captured && !(polled(w->id) && not_yet(*captured))) {
         if (s->differ++ < 10)
            fprintf(rp->o->log, "vl-dump: replay: %s returned %d, the capture recorded %d\n",
                    hang_message, result, *captured);
      }
   }
   if (rp->o->timeout)
      alarm(0);
   if (!ok) {
      snprintf(s->why, sizeof(s->why), "lost at %s: %s", hang_message,
               vlr_context_lost_message(s->ctx));
      s->lost = true;
   }
}

static void
replay_stream(struct replay *rp, struct ctx_state *s, struct vl_record *r)
{
   struct vl_walk w;
   vl_walk_init(&w, r->data, r->length);
   struct vl_replies replies;
   vl_replies_init(&replies, vl_capture_take_reply(rp->c, r->tag, r->seq));
   s->streams++;
   int st = 0;
   while (!s->lost && (st = vl_walk_next(&w)) == 1) {
      s->cmd_no++;
      const uint8_t *reply;
      size_t reply_size;
      int32_t captured;
      const bool have = vl_replies_next(&replies, &w, &reply, &reply_size) &&
                        vl_args_vkresult(w.id, w.args, &captured);
      switch (w.id) {
      case VL_CMD_vkCreateRingMESA:
      case VL_CMD_vkDestroyRingMESA:
      case VL_CMD_vkNotifyRingMESA:
      case VL_CMD_vkWriteRingExtraMESA:
      case VL_CMD_vkSetReplyCommandStreamMESA:
      case VL_CMD_vkSeekReplyCommandStreamMESA:
      case VL_CMD_vkQueueFenceFeedbackVL: /* writes the captured process's memory */
      case VL_CMD_vkQueueFenceFeedbackNextVL:
         /* the transport of the captured process */
         s->skipped++;
         break;
      case VL_CMD_vkExecuteCommandStreamsMESA: {
         const struct vl_args_vkExecuteCommandStreamsMESA *a = w.args;
         s->skipped++;
         for (uint32_t i = 0; i < a->streamCount && !s->lost; i++) {
            if (!a->pStreams[i].size)
               continue; /* the renderer skips empty streams: no record */
            struct vl_record *in = vl_capture_take_indirect(rp->c, r->tag, r->seq);
            if (!in) {
               s->missing++;
               fprintf(rp->o->log,
                       "vl-dump: replay: context %u, record seq %" PRIu64
                       ": stream %u of the vkExecuteCommandStreamsMESA at byte %zu was not "
                       "captured; its commands are missing from the replay\n",
                       s->number, r->seq, i, w.offset);
               continue;
            }
            s->inlined++;
            replay_stream(rp, s, in);
         }
         break;
      }
      default:
         emit(rp, s, r, &w, have ? &captured : NULL);
         break;
      }
   }
   if (!s->lost && st < 0) {
      snprintf(s->why, sizeof(s->why),
               "malformed stream: record seq %" PRIu64 " (%s), command #%" PRIu64
               " at byte %zu (%s): %s; the replay of this context stops here",
               r->seq, vl_record_kind_name(r->kind), s->cmd_no, w.offset,
               w.id >= 0 ? name_of(w.id) : "command header", w.error);
      s->malformed = true;
      s->lost = true;
   }
   vl_walk_finish(&w);
}

int
vl_replay(struct vl_capture *c, const struct vl_replay_options *o)
{
   struct replay rp = { .c = c, .o = o };
   if (o->timeout)
      signal(SIGALRM, on_alarm);
   for (size_t i = 0; i < c->count; i++) {
      struct vl_record *r = &c->records[i];
      if (r->kind != VL_RECORD_RING && r->kind != VL_RECORD_DIRECT)
         continue; /* indirect streams run where they were executed; replies are results */
      struct ctx_state *s = context_for(&rp, r->tag);
      if (!s) {
         fprintf(o->log, "vl-dump: replay: out of memory\n");
         return 2;
      }
      if (!s->lost)
         replay_stream(&rp, s, r);
   }
   int status = 0;
   for (size_t i = 0; i < c->count; i++) {
      const struct vl_record *r = &c->records[i];
      if (r->kind == VL_RECORD_INDIRECT && !r->used) {
         struct ctx_state *s = context_for(&rp, r->tag);
         fprintf(o->log,
                 "vl-dump: replay: context %u: the indirect stream seq %" PRIu64
                 " (of stream %" PRIu64 ") was not run: no command of that stream executed it\n",
                 s ? s->number : 0, r->seq, r->ref);
         status = 1;
      }
   }
   for (size_t i = 0; i < rp.count; i++) {
      struct ctx_state *s = &rp.ctxs[i];
      fprintf(o->log,
              "replay: context %u (tag 0x%08x): %" PRIu64 " streams, %" PRIu64
              " commands submitted (%" PRIu64 " with a reply), %" PRIu64
              " transport commands skipped, %" PRIu64 " indirect streams run in place",
              s->number, s->tag, s->streams, s->commands, s->replies, s->skipped, s->inlined);
      if (s->polls)
         fprintf(o->log, ", %" PRIu64 " extra polls", s->polls);
      if (s->differ)
         fprintf(o->log, ", %" PRIu64 " results differ from the capture", s->differ);
      if (s->missing)
         fprintf(o->log, ", %" PRIu64 " indirect streams missing", s->missing);
      if (s->lost)
         fprintf(o->log, ": %s\n", s->why);
      else
         fprintf(o->log, o->execute ? ": executed cleanly\n" : "\n");
      if (s->lost || s->missing)
         status = 1;
      if (s->ctx)
         vlr_context_destroy(s->ctx);
      free(s->reply_mem);
      if (s->flat && fclose(s->flat))
         rp.io_error = true;
   }
   free(rp.ctxs);
   free(rp.buf);
   return rp.io_error ? 2 : status;
}
