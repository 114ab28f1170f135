/*
 * Text primitives of the stream printer.
 *
 * The generated printers (vl_dump_gen.c, from protocol/gen/emit_dump.py) call
 * these to build one line per command: "name=value, ..." with structs in
 * braces and arrays in brackets.  The printer keeps the separators right
 * (one open brace or bracket per nesting level), abbreviates arrays after
 * max_array elements, and bounds a line's length, so that a hostile stream
 * cannot make it print without end.  Values come from decoded arguments, so
 * nothing here reads the stream itself.
 */
#ifndef VL_DUMP_PRINT_H
#define VL_DUMP_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VL_DUMP_MAX_DEPTH 64
/* Longest line kept; the rest of a longer one is replaced by "...". */
#define VL_DUMP_MAX_LINE ((size_t)256 * 1024)

struct vl_dump {
   FILE *out;          /* NULL: lines are formatted and dropped (fuzzing) */
   unsigned max_array; /* elements printed per array before "+N more" */
   char *buf;
   size_t len, cap;
   bool truncated;
   unsigned depth;
   bool first[VL_DUMP_MAX_DEPTH + 1];
};

struct vl_dump_bit {
   uint64_t value;
   const char *name;
};

void vl_dump_init(struct vl_dump *d, FILE *out, unsigned max_array);
void vl_dump_finish(struct vl_dump *d);
/* Writes the line built so far (plus a newline) and starts a new one. */
void vl_dump_end_line(struct vl_dump *d);

void vl_dump_text(struct vl_dump *d, const char *s);
void vl_dump_printf(struct vl_dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Structure: '{' / '[' / '(' open a level whose items are comma-separated. */
void vl_dump_open(struct vl_dump *d, char c);
void vl_dump_close(struct vl_dump *d, char c);
void vl_dump_field(struct vl_dump *d, const char *name);
/* Before element i of n: false (after printing "+k more") once the limit is hit. */
bool vl_dump_elem(struct vl_dump *d, uint64_t i, uint64_t n);

/* Values. */
void vl_dump_null(struct vl_dump *d);
void vl_dump_ref(struct vl_dump *d); /* "&" before the value a pointer points to */
void vl_dump_u64(struct vl_dump *d, uint64_t v);
void vl_dump_i64(struct vl_dump *d, int64_t v);
void vl_dump_hex(struct vl_dump *d, uint64_t v);
void vl_dump_f64(struct vl_dump *d, double v);
void vl_dump_bool(struct vl_dump *d, uint32_t v);
void vl_dump_enum(struct vl_dump *d, const char *name, int64_t v);
void vl_dump_flags(struct vl_dump *d, uint64_t v, const struct vl_dump_bit *bits, size_t n);
void vl_dump_handle(struct vl_dump *d, const char *type, uint64_t id);
void vl_dump_pointer(struct vl_dump *d, uint64_t v);
void vl_dump_string(struct vl_dump *d, const char *s);
void vl_dump_chars(struct vl_dump *d, const char *s, size_t n);
void vl_dump_bytes(struct vl_dump *d, const void *p, size_t n);
/* An output the command will fill: count elements (0: one value), or NULL. */
void vl_dump_out(struct vl_dump *d, uint64_t count, bool present);

#endif
