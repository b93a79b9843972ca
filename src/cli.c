/*
 * cli — placeholder until the command table lands.
 */
#include "shopsync/cli.h"

#include <stdio.h>

int cli_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "shopsync: not yet\n");
    return 1;
}
