/*
 * vl-dump: prints Venus command streams as text, and replays captures.
 *
 *   vl-dump [options] FILE            a capture (VL_DEBUG=capture, docs/capture.md)
 *   vl-dump --raw [options] FILE      one command stream, as the renderer received it
 *   vl-dump --replay FILE             execute the capture on a fresh renderer (lavapipe)
 *   vl-dump --flatten PREFIX FILE     write each context's commands as one stream
 *
 * One line per command: its number in its context, its byte offset in its
 * stream, its name and its decoded arguments (vl_dump_gen.c, generated from
 * the registry).  The streams a vkExecuteCommandStreamsMESA ran are printed
 * in place, indented, as the renderer executed them.  A malformed stream is
 * printed up to the command that fails, with where and why; the exit status
 * is then 1.  A summary by command (count and bytes) follows.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_capture.h"
#include "vl_dump_gen.h"
#include "vl_dump_print.h"
#include "vl_protocol_defs.h"
#include "vl_protocol_host.h"
#include "vl_replay.h"

struct cmd_stat {
   uint64_t count, bytes;
};

struct context_count {
   uint32_t tag;
   uint64_t commands;
};

struct dumper {
   struct vl_capture *c;
   struct vl_dump out;
   bool print_commands;
   bool malformed;
   struct cmd_stat *stats; /* Venus ids, then private ids */
   uint64_t commands, command_bytes, streams, kinds[6];
   struct context_count *ctxs;
   size_t ctx_count;
};

static size_t
stat_index(int32_t id)
{
   if (id >= 0 && id < VL_VENUS_COMMAND_COUNT)
      return (size_t)id;
   if (id >= VL_PRIVATE_COMMAND_BASE && id - VL_PRIVATE_COMMAND_BASE < VL_PRIVATE_COMMAND_COUNT)
      return VL_VENUS_COMMAND_COUNT + (size_t)(id - VL_PRIVATE_COMMAND_BASE);
   return SIZE_MAX;
}

static uint64_t *
context_counter(struct dumper *dp, uint32_t tag)
{
   for (size_t i = 0; i < dp->ctx_count; i++) {
      if (dp->ctxs[i].tag == tag)
         return &dp->ctxs[i].commands;
   }
   struct context_count *all = realloc(dp->ctxs, (dp->ctx_count + 1) * sizeof(*all));
   if (!all) {
      fprintf(stderr, "vl-dump: out of memory\n");
      exit(2);
   }
   dp->ctxs = all;
   dp->ctxs[dp->ctx_count] = (struct context_count){ tag, 0 };
   return &dp->ctxs[dp->ctx_count++].commands;
}

static void
indent(struct dumper *dp, unsigned depth)
{
   for (unsigned i = 0; i < depth; i++)
      vl_dump_text(&dp->out, "  ");
}

static void
record_line(struct dumper *dp, const struct vl_record *r, unsigned depth)
{
   if (!dp->print_commands)
      return;
   indent(dp, depth);
   vl_dump_printf(&dp->out, "-- %s stream, seq %" PRIu64 ", context 0x%08x, ",
                  vl_record_kind_name(r->kind), r->seq, r->tag);
   if (r->kind == VL_RECORD_RING)
      vl_dump_printf(&dp->out, "ring 0x%" PRIx64, r->ring);
   else if (r->kind == VL_RECORD_DIRECT)
      vl_dump_printf(&dp->out, "thread %" PRIu64, r->ring);
   else
      vl_dump_printf(&dp->out, "run by seq %" PRIu64, r->ref);
   vl_dump_printf(&dp->out, ", %u bytes at file byte %zu", r->length,
                  (size_t)(r->data - dp->c->file));
   vl_dump_end_line(&dp->out);
}

static void dump_stream(struct dumper *dp, struct vl_record *r, unsigned depth);

/* The streams a vkExecuteCommandStreamsMESA ran, where it ran them. */
static void
dump_executed(struct dumper *dp, const struct vl_record *parent, const void *args, unsigned depth)
{
   const struct vl_args_vkExecuteCommandStreamsMESA *a = args;
   for (uint32_t i = 0; i < a->streamCount; i++) {
      if (!a->pStreams[i].size)
         continue;
      struct vl_record *in = vl_capture_take_indirect(dp->c, parent->tag, parent->seq);
      if (!in) {
         if (dp->print_commands) {
            indent(dp, depth);
            vl_dump_printf(&dp->out, "-- stream %u (resource %u, %" PRIu64 " bytes) not captured",
                           i, a->pStreams[i].resourceId, (uint64_t)a->pStreams[i].size);
            vl_dump_end_line(&dp->out);
         }
         continue;
      }
      dump_stream(dp, in, depth);
   }
}

static void
hex_bytes(struct dumper *dp, const uint8_t *p, size_t n, unsigned depth)
{
   indent(dp, depth);
   vl_dump_text(&dp->out, "   bytes:");
   for (size_t i = 0; i < n; i++)
      vl_dump_printf(&dp->out, " %02x", p[i]);
   vl_dump_end_line(&dp->out);
}

static void
dump_stream(struct dumper *dp, struct vl_record *r, unsigned depth)
{
   record_line(dp, r, depth);
   dp->streams++;
   uint64_t *no = context_counter(dp, r->tag);
   struct vl_walk w;
   vl_walk_init(&w, r->data, r->length);
   struct vl_replies replies;
   vl_replies_init(&replies, vl_capture_take_reply(dp->c, r->tag, r->seq));
   int st;
   while ((st = vl_walk_next(&w)) == 1) {
      ++*no;
      const struct vl_command_info *info = vl_command_info(w.id);
      const size_t si = stat_index(w.id);
      if (si != SIZE_MAX) {
         dp->stats[si].count++;
         dp->stats[si].bytes += w.length;
      }
      dp->commands++;
      dp->command_bytes += w.length;
      if (dp->print_commands) {
         indent(dp, depth + 1);
         vl_dump_printf(&dp->out, "#%" PRIu64 " @%zu %s(", *no, w.offset, info->name);
         vl_dump_args(&dp->out, w.id, w.args);
         vl_dump_text(&dp->out, ")");
         const uint8_t *reply;
         size_t reply_size;
         if (vl_replies_next(&replies, &w, &reply, &reply_size)) {
            vl_dump_text(&dp->out, " = ");
            vl_dump_result(&dp->out, w.id, w.args);
         } else if (w.flags & VK_COMMAND_GENERATE_REPLY_BIT_EXT) {
            vl_dump_text(&dp->out, replies.present ? " = (reply does not match)" : " -> reply");
         }
         if (w.flags & ~(uint32_t)VK_COMMAND_GENERATE_REPLY_BIT_EXT)
            vl_dump_printf(&dp->out, " flags=0x%x", w.flags);
         if (info->renderer == VL_RENDERER_FATAL)
            vl_dump_text(&dp->out, "  !! guest-side only: the renderer refuses it");
         vl_dump_end_line(&dp->out);
      }
      if (w.id == VL_CMD_vkExecuteCommandStreamsMESA && r->kind != VL_RECORD_INDIRECT)
         dump_executed(dp, r, w.args, depth + 1);
   }
   if (st < 0) {
      ++*no;
      dp->malformed = true;
      /* always printed, even with --summary: it is the answer to "why" */
      struct vl_dump *o = &dp->out;
      indent(dp, depth + 1);
      vl_dump_printf(
         o, "!! malformed: command #%" PRIu64 " at byte %zu of this %s stream (file byte %zu)", *no,
         w.offset, vl_record_kind_name(r->kind), (size_t)(r->data - dp->c->file) + w.offset);
      if (w.id >= 0) {
         const struct vl_command_info *info = vl_command_info(w.id);
         vl_dump_printf(o, ", %s (id %d)", info ? info->name : "unknown command", w.id);
      } else {
         vl_dump_text(o, ", in its header");
      }
      vl_dump_printf(o, ": %s", w.error);
      if (w.error_id)
         vl_dump_printf(o, " (id 0x%" PRIx64 ")", w.error_id);
      vl_dump_printf(o, "; decoding stopped at byte %zu", w.error_at);
      vl_dump_end_line(o);
      const size_t n = r->length - w.offset < 32 ? r->length - w.offset : 32;
      hex_bytes(dp, r->data + w.offset, n, depth + 1);
   }
   vl_walk_finish(&w);
}

static int
by_bytes(const void *a, const void *b, void *stats)
{
   const struct cmd_stat *s = stats;
   const size_t i = *(const size_t *)a, j = *(const size_t *)b;
   if (s[i].bytes != s[j].bytes)
      return s[i].bytes < s[j].bytes ? 1 : -1;
   return i < j ? -1 : 1;
}

static void
summary(struct dumper *dp, FILE *f)
{
   const size_t n = VL_VENUS_COMMAND_COUNT + VL_PRIVATE_COMMAND_COUNT;
   size_t *order = malloc(n * sizeof(*order));
   size_t used = 0;
   for (size_t i = 0; order && i < n; i++) {
      if (dp->stats[i].count)
         order[used++] = i;
   }
   if (order)
      qsort_r(order, used, sizeof(*order), by_bytes, dp->stats);
   fprintf(f,
           "summary: %zu records (%" PRIu64 " ring, %" PRIu64 " direct, %" PRIu64
           " indirect, %" PRIu64 " reply, %" PRIu64 " index), %zu contexts\n",
           dp->c->count, dp->kinds[1], dp->kinds[2], dp->kinds[3], dp->kinds[4], dp->kinds[5],
           dp->ctx_count);
   fprintf(f, "summary: %" PRIu64 " streams, %" PRIu64 " commands, %" PRIu64 " bytes%s\n",
           dp->streams, dp->commands, dp->command_bytes,
           dp->malformed ? ", MALFORMED (see the !! lines)" : "");
   fprintf(f, "%10s %12s  %s\n", "count", "bytes", "command");
   for (size_t k = 0; order && k < used; k++) {
      const size_t i = order[k];
      const int32_t id = i < VL_VENUS_COMMAND_COUNT
                            ? (int32_t)i
                            : VL_PRIVATE_COMMAND_BASE + (int32_t)(i - VL_VENUS_COMMAND_COUNT);
      const struct vl_command_info *info = vl_command_info(id);
      fprintf(f, "%10" PRIu64 " %12" PRIu64 "  %s\n", dp->stats[i].count, dp->stats[i].bytes,
              info ? info->name : "?");
   }
   free(order);
}

static void
usage(FILE *f)
{
   fprintf(f,
           "usage: vl-dump [options] FILE\n"
           "Prints a capture (VL_DEBUG=capture VL_CAPTURE_FILE=FILE) one command a line.\n"
           "  --raw             FILE is a single command stream, not a capture\n"
           "  --summary         print only the summary (and any malformed stream)\n"
           "  --no-summary      print no summary\n"
           "  --max-array N     array elements printed before \"+k more\" (default 4)\n"
           "  --replay          execute the capture on fresh renderer contexts (lavapipe)\n"
           "  --timeout S       with --replay: a command running S seconds is a hang (default 60)\n"
           "  --flatten PREFIX  write each context's replayed commands as one stream, PREFIX.<n>\n"
           "exit status: 0 clean, 1 malformed stream or failed replay, 2 usage or I/O error,\n"
           "3 replay hung\n");
}

int
main(int argc, char **argv)
{
   enum { OPT_RAW = 1, OPT_SUMMARY, OPT_NO_SUMMARY, OPT_MAX, OPT_REPLAY, OPT_TIMEOUT, OPT_FLATTEN };
   static const struct option opts[] = {
      { "raw", no_argument, NULL, OPT_RAW },
      { "summary", no_argument, NULL, OPT_SUMMARY },
      { "no-summary", no_argument, NULL, OPT_NO_SUMMARY },
      { "max-array", required_argument, NULL, OPT_MAX },
      { "replay", no_argument, NULL, OPT_REPLAY },
      { "timeout", required_argument, NULL, OPT_TIMEOUT },
      { "flatten", required_argument, NULL, OPT_FLATTEN },
      { "help", no_argument, NULL, 'h' },
      { NULL, 0, NULL, 0 },
   };
   bool raw = false, print_commands = true, print_summary = true, replay = false;
   unsigned max_array = 4, timeout = 60;
   const char *flatten = NULL;
   int opt;
   while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
      switch (opt) {
      case OPT_RAW:
         raw = true;
         break;
      case OPT_SUMMARY:
         print_commands = false;
         break;
      case OPT_NO_SUMMARY:
         print_summary = false;
         break;
      case OPT_MAX:
         max_array = (unsigned)strtoul(optarg, NULL, 0);
         break;
      case OPT_REPLAY:
         replay = true;
         break;
      case OPT_TIMEOUT:
         timeout = (unsigned)strtoul(optarg, NULL, 0);
         break;
      case OPT_FLATTEN:
         flatten = optarg;
         break;
      case 'h':
         usage(stdout);
         return 0;
      default:
         usage(stderr);
         return 2;
      }
   }
   if (optind + 1 != argc) {
      usage(stderr);
      return 2;
   }
   struct vl_capture c;
   if (!(raw ? vl_capture_load_raw(&c, argv[optind]) : vl_capture_load(&c, argv[optind]))) {
      fprintf(stderr, "vl-dump: %s\n", c.error);
      return 2;
   }

   if (replay || flatten) {
      const struct vl_replay_options o = {
         .execute = replay,
         .flatten_prefix = flatten,
         .timeout = timeout,
         .log = stdout,
      };
      int status = vl_replay(&c, &o);
      if (c.error[0]) {
         printf("vl-dump: %s: the capture ends in a damaged record: %s\n", argv[optind], c.error);
         status = status ? status : 1;
      }
      vl_capture_free(&c);
      return status;
   }

   struct dumper dp = { .c = &c, .print_commands = print_commands };
   dp.stats = calloc(VL_VENUS_COMMAND_COUNT + VL_PRIVATE_COMMAND_COUNT, sizeof(*dp.stats));
   if (!dp.stats) {
      fprintf(stderr, "vl-dump: out of memory\n");
      return 2;
   }
   vl_dump_init(&dp.out, stdout, max_array);
   for (size_t i = 0; i < c.count; i++) {
      struct vl_record *r = &c.records[i];
      dp.kinds[r->kind < 6 ? r->kind : 0]++;
      switch (r->kind) {
      case VL_RECORD_RING:
      case VL_RECORD_DIRECT:
         dump_stream(&dp, r, 0);
         break;
      case VL_RECORD_INDIRECT:
         if (!r->used) {
            /* its vkExecuteCommandStreamsMESA was not found: print it alone */
            r->used = true;
            dump_stream(&dp, r, 0);
         }
         break;
      default:
         if (print_commands) {
            vl_dump_printf(&dp.out,
                           "-- %s record, seq %" PRIu64 ", context 0x%08x, of seq %" PRIu64
                           ", %u bytes (not decoded)",
                           vl_record_kind_name(r->kind), r->seq, r->tag, r->ref, r->length);
            vl_dump_end_line(&dp.out);
         }
         break;
      }
   }
   int status = dp.malformed ? 1 : 0;
   if (c.error[0]) {
      printf("!! %s: the capture ends in a damaged record: %s\n", argv[optind], c.error);
      status = 1;
   }
   if (print_summary)
      summary(&dp, stdout);
   vl_dump_finish(&dp.out);
   free(dp.stats);
   free(dp.ctxs);
   vl_capture_free(&c);
   return status;
}
