/*
 * common — small compiler annotations every module may use.
 */
#ifndef SHOPSYNC_COMMON_H
#define SHOPSYNC_COMMON_H

/* On a function whose result must be read: ignoring it would lose an error
 * (a key that did not fit, a failed setup), so the build (-Werror) refuses a
 * call that drops it. */
#define SHOPSYNC_MUST_USE __attribute__((warn_unused_result))

#endif
