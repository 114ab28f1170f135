/* Text primitives of the stream printer (see vl_dump_print.h). */
#include "vl_dump_print.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Longest string shown in full, and bytes shown of a blob. */
#define MAX_STRING 96
#define MAX_BYTES  16

void
vl_dump_init(struct vl_dump *d, FILE *out, unsigned max_array)
{
   memset(d, 0, sizeof(*d));
   d->out = out;
   d->max_array = max_array;
   d->first[0] = true;
}

void
vl_dump_finish(struct vl_dump *d)
{
   free(d->buf);
   d->buf = NULL;
   d->len = d->cap = 0;
}

static void
append(struct vl_dump *d, const char *s, size_t n)
{
   if (d->truncated)
      return;
   if (d->len + n > VL_DUMP_MAX_LINE) {
      d->truncated = true;
      n = 0;
   }
   if (d->len + n + 4 > d->cap) {
      size_t cap = d->cap ? d->cap : 256;
      while (cap < d->len + n + 4)
         cap *= 2;
      char *b = realloc(d->buf, cap);
      if (!b) {
         d->truncated = true;
         return;
      }
      d->buf = b;
      d->cap = cap;
   }
   memcpy(d->buf + d->len, s, n);
   d->len += n;
   if (d->truncated) {
      memcpy(d->buf + d->len, "...", 3);
      d->len += 3;
   }
}

void
vl_dump_end_line(struct vl_dump *d)
{
   if (d->out) {
      fwrite(d->buf ? d->buf : "", 1, d->len, d->out);
      fputc('\n', d->out);
   }
   d->len = 0;
   d->truncated = false;
   d->depth = 0;
   d->first[0] = true;
}

void
vl_dump_text(struct vl_dump *d, const char *s)
{
   append(d, s, strlen(s));
}

void
vl_dump_printf(struct vl_dump *d, const char *fmt, ...)
{
   char tmp[512];
   va_list ap;
   va_start(ap, fmt);
   int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
   va_end(ap);
   if (n < 0)
      return;
   append(d, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void
vl_dump_open(struct vl_dump *d, char c)
{
   append(d, &c, 1);
   /* Deeper levels share the last slot: separators stay right enough, and
    * the generated printers never nest this far anyway. */
   if (d->depth < VL_DUMP_MAX_DEPTH)
      d->depth++;
   d->first[d->depth] = true;
}

void
vl_dump_close(struct vl_dump *d, char c)
{
   append(d, &c, 1);
   if (d->depth)
      d->depth--;
   d->first[d->depth] = false;
}

static void
separator(struct vl_dump *d)
{
   if (!d->first[d->depth])
      append(d, ", ", 2);
   d->first[d->depth] = false;
}

void
vl_dump_field(struct vl_dump *d, const char *name)
{
   separator(d);
   vl_dump_text(d, name);
   append(d, "=", 1);
}

bool
vl_dump_elem(struct vl_dump *d, uint64_t i, uint64_t n)
{
   separator(d);
   if (i >= d->max_array) {
      vl_dump_printf(d, "+%" PRIu64 " more", n - i);
      return false;
   }
   return true;
}

void
vl_dump_null(struct vl_dump *d)
{
   vl_dump_text(d, "NULL");
}

void
vl_dump_ref(struct vl_dump *d)
{
   append(d, "&", 1);
}

void
vl_dump_u64(struct vl_dump *d, uint64_t v)
{
   vl_dump_printf(d, "%" PRIu64, v);
}

void
vl_dump_i64(struct vl_dump *d, int64_t v)
{
   vl_dump_printf(d, "%" PRId64, v);
}

void
vl_dump_hex(struct vl_dump *d, uint64_t v)
{
   vl_dump_printf(d, "0x%" PRIx64, v);
}

void
vl_dump_f64(struct vl_dump *d, double v)
{
   vl_dump_printf(d, "%g", v);
}

void
vl_dump_bool(struct vl_dump *d, uint32_t v)
{
   if (v <= 1)
      vl_dump_text(d, v ? "VK_TRUE" : "VK_FALSE");
   else
      vl_dump_u64(d, v);
}

void
vl_dump_enum(struct vl_dump *d, const char *name, int64_t v)
{
   if (name)
      vl_dump_text(d, name);
   else
      vl_dump_i64(d, v);
}

void
vl_dump_flags(struct vl_dump *d, uint64_t v, const struct vl_dump_bit *bits, size_t n)
{
   if (!v) {
      vl_dump_text(d, "0");
      return;
   }
   uint64_t rest = v;
   bool any = false;
   for (size_t i = 0; i < n; i++) {
      if (bits[i].name && bits[i].value && (rest & bits[i].value) == bits[i].value) {
         if (any)
            append(d, "|", 1);
         vl_dump_text(d, bits[i].name);
         rest &= ~bits[i].value;
         any = true;
      }
   }
   if (rest) {
      if (any)
         append(d, "|", 1);
      vl_dump_hex(d, rest);
   }
}

void
vl_dump_handle(struct vl_dump *d, const char *type, uint64_t id)
{
   if (!id)
      vl_dump_text(d, "VK_NULL_HANDLE");
   else
      vl_dump_printf(d, "%s#0x%" PRIx64, type, id);
}

void
vl_dump_pointer(struct vl_dump *d, uint64_t v)
{
   vl_dump_printf(d, "ptr:0x%" PRIx64, v);
}

static void
quoted(struct vl_dump *d, const char *s, size_t n)
{
   append(d, "\"", 1);
   const size_t shown = n > MAX_STRING ? MAX_STRING : n;
   for (size_t i = 0; i < shown; i++) {
      const unsigned char c = (unsigned char)s[i];
      if (c == '"' || c == '\\')
         vl_dump_printf(d, "\\%c", c);
      else if (c < 0x20 || c >= 0x7f)
         vl_dump_printf(d, "\\x%02x", c);
      else
         append(d, (const char *)&c, 1);
   }
   append(d, "\"", 1);
   if (shown < n)
      vl_dump_printf(d, "+%zu chars", n - shown);
}

void
vl_dump_string(struct vl_dump *d, const char *s)
{
   if (!s)
      vl_dump_null(d);
   else
      quoted(d, s, strlen(s));
}

void
vl_dump_chars(struct vl_dump *d, const char *s, size_t n)
{
   const char *nul = memchr(s, 0, n);
   quoted(d, s, nul ? (size_t)(nul - s) : n);
}

void
vl_dump_bytes(struct vl_dump *d, const void *p, size_t n)
{
   const uint8_t *b = p;
   vl_dump_printf(d, "<%zu bytes", n);
   for (size_t i = 0; i < n && i < MAX_BYTES; i++)
      vl_dump_printf(d, "%s%02x", i ? " " : ": ", b[i]);
   vl_dump_text(d, n > MAX_BYTES ? " ...>" : ">");
}

void
vl_dump_out(struct vl_dump *d, uint64_t count, bool present)
{
   if (!present)
      vl_dump_null(d);
   else if (count)
      vl_dump_printf(d, "<out[%" PRIu64 "]>", count);
   else
      vl_dump_text(d, "<out>");
}
