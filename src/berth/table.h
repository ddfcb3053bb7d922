/* table.h — aligned text tables for the CLI (a tty gets a header in bold). */
#pragma once

#include <stddef.h>
#include <stdio.h>

typedef struct Table Table;

Table *table_new(size_t n_columns, const char *const *headers);
Table *table_free(Table *t);
/* Adds one cell (NULL prints "-"); rows fill left to right. */
int table_add(Table *t, const char *cell);
int table_print(const Table *t, FILE *f);
