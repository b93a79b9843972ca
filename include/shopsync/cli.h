/*
 * cli — the shopsync command line: serve (default), import, stock, status,
 * sync, reconcile, dlq, --help, --version.
 */
#ifndef SHOPSYNC_CLI_H
#define SHOPSYNC_CLI_H

/* Run the command named by argv (borrowed); returns the process exit code. */
int cli_main(int argc, char **argv);

#endif
