/*
 * main — entry point of the shopsync binary; hands argv to the cli module.
 */
#include "shopsync/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
