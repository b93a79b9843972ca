/*
 * app — what the edges share: the configuration and the per-thread handles.
 * Private to the service; domain modules take what they need explicitly.
 */
#ifndef SHOPSYNC_APP_H
#define SHOPSYNC_APP_H

#include <stdatomic.h>

#include "shopsync/config.h"
#include "shopsync/redis.h"

typedef struct app {
    const config_t *cfg;  /* borrowed for the process life */
    atomic_int stopping;  /* set on SIGTERM: workers drain and exit */
} app_t;

#endif
