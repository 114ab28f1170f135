/* Recursive-descent JSON parser for manifests (see vlr_json.h). */
#include "vlr_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
   const char *p;
   unsigned depth;
};

static void
skip_ws(struct parser *ps)
{
   while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
      ps->p++;
}

static char *
parse_string(struct parser *ps)
{
   if (*ps->p != '"')
      return NULL;
   ps->p++;
   size_t cap = 32, len = 0;
   char *s = malloc(cap);
   if (!s)
      return NULL;
   while (*ps->p && *ps->p != '"') {
      char c = *ps->p++;
      if (c == '\\') {
         c = *ps->p++;
         switch (c) {
         case 'n':
            c = '\n';
            break;
         case 't':
            c = '\t';
            break;
         case 'r':
            c = '\r';
            break;
         case 'b':
            c = '\b';
            break;
         case 'f':
            c = '\f';
            break;
         case 'u':
            /* \uXXXX: manifests use ASCII; keep the code unit's low byte */
            if (strlen(ps->p) < 4) {
               free(s);
               return NULL;
            }
            c = (char)strtol((char[5]){ ps->p[0], ps->p[1], ps->p[2], ps->p[3], 0 }, NULL, 16);
            ps->p += 4;
            break;
         case '"':
         case '\\':
         case '/':
            break;
         default:
            free(s);
            return NULL;
         }
      }
      if (len + 1 >= cap) {
         cap *= 2;
         char *t = realloc(s, cap);
         if (!t) {
            free(s);
            return NULL;
         }
         s = t;
      }
      s[len++] = c;
   }
   if (*ps->p != '"') {
      free(s);
      return NULL;
   }
   ps->p++;
   s[len] = 0;
   return s;
}

static struct vlr_json *parse_value(struct parser *ps);

static struct vlr_json *
parse_container(struct parser *ps, bool object)
{
   struct vlr_json *j = calloc(1, sizeof(*j));
   if (!j)
      return NULL;
   j->type = object ? VLR_JSON_OBJECT : VLR_JSON_ARRAY;
   ps->p++;
   skip_ws(ps);
   struct vlr_json **tail = &j->child;
   const char close = object ? '}' : ']';
   if (*ps->p == close) {
      ps->p++;
      return j;
   }
   for (;;) {
      char *key = NULL;
      skip_ws(ps);
      if (object) {
         key = parse_string(ps);
         skip_ws(ps);
         if (!key || *ps->p != ':') {
            free(key);
            goto fail;
         }
         ps->p++;
      }
      struct vlr_json *v = parse_value(ps);
      if (!v) {
         free(key);
         goto fail;
      }
      v->key = key;
      *tail = v;
      tail = &v->next;
      skip_ws(ps);
      if (*ps->p == ',') {
         ps->p++;
         continue;
      }
      if (*ps->p == close) {
         ps->p++;
         return j;
      }
      goto fail;
   }
fail:
   vlr_json_free(j);
   return NULL;
}

static struct vlr_json *
parse_value(struct parser *ps)
{
   skip_ws(ps);
   if (++ps->depth > 64)
      return NULL;
   struct vlr_json *j = NULL;
   if (*ps->p == '{' || *ps->p == '[') {
      j = parse_container(ps, *ps->p == '{');
   } else if (*ps->p == '"') {
      char *s = parse_string(ps);
      if (s && (j = calloc(1, sizeof(*j)))) {
         j->type = VLR_JSON_STRING;
         j->string = s;
      } else {
         free(s);
      }
   } else if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "false", 5)) {
      if ((j = calloc(1, sizeof(*j)))) {
         j->type = VLR_JSON_BOOL;
         j->boolean = *ps->p == 't';
      }
      ps->p += *ps->p == 't' ? 4 : 5;
   } else if (!strncmp(ps->p, "null", 4)) {
      j = calloc(1, sizeof(*j));
      ps->p += 4;
   } else if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
      const char *start = ps->p;
      while (*ps->p && strchr("+-0123456789.eE", *ps->p))
         ps->p++;
      if ((j = calloc(1, sizeof(*j)))) {
         j->type = VLR_JSON_NUMBER;
         j->string = strndup(start, (size_t)(ps->p - start));
      }
   }
   ps->depth--;
   return j;
}

struct vlr_json *
vlr_json_parse(const char *text)
{
   struct parser ps = { text, 0 };
   struct vlr_json *j = parse_value(&ps);
   skip_ws(&ps);
   if (j && *ps.p) {
      vlr_json_free(j);
      return NULL;
   }
   return j;
}

struct vlr_json *
vlr_json_parse_file(const char *path)
{
   FILE *f = fopen(path, "rb");
   if (!f)
      return NULL;
   char *text = NULL;
   size_t len = 0, cap = 0;
   for (;;) {
      if (len + 4096 + 1 > cap) {
         cap = cap ? cap * 2 : 8192;
         char *t = realloc(text, cap);
         if (!t)
            break;
         text = t;
      }
      const size_t n = fread(text + len, 1, 4096, f);
      len += n;
      if (n < 4096)
         break;
   }
   fclose(f);
   if (!text)
      return NULL;
   text[len] = 0;
   struct vlr_json *j = vlr_json_parse(text);
   free(text);
   return j;
}

void
vlr_json_free(struct vlr_json *j)
{
   while (j) {
      struct vlr_json *next = j->next;
      vlr_json_free(j->child);
      free(j->key);
      free(j->string);
      free(j);
      j = next;
   }
}

const struct vlr_json *
vlr_json_get(const struct vlr_json *obj, const char *key)
{
   if (!obj || obj->type != VLR_JSON_OBJECT)
      return NULL;
   for (const struct vlr_json *c = obj->child; c; c = c->next) {
      if (c->key && !strcmp(c->key, key))
         return c;
   }
   return NULL;
}

const char *
vlr_json_string(const struct vlr_json *obj, const char *key1, const char *key2)
{
   const struct vlr_json *v = vlr_json_get(obj, key1);
   if (key2)
      v = vlr_json_get(v, key2);
   return v && v->type == VLR_JSON_STRING ? v->string : NULL;
}
