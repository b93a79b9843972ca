/*
 * catalog — products and their SKUs: the whole module for callers that both
 * validate and store. Its two halves have their own headers: catalog_validate.h
 * (the file format and its checks, no Redis) and catalog_store.h (Redis).
 */
#ifndef SHOPSYNC_CATALOG_H
#define SHOPSYNC_CATALOG_H

#include "shopsync/catalog_store.h"
#include "shopsync/catalog_validate.h"

#endif
